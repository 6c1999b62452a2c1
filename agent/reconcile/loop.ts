/**
 * The reconcile loop: when to run a pass. Feed events call `kick()` (debounced), a timer runs a
 * full pass every `resyncMs` to repair drift, and `passNow()` runs one immediately (attach).
 *
 * Owns: timing only. Never: decides what to change (the reconciler does, from the current model and
 * attachments each time — level-triggered, so a coalesced or extra pass is always safe).
 * Without a model (first snapshot pending) no pass runs: an empty desired state must never be
 * inferred from "not loaded yet".
 */
import type { HostConfig } from '../../protocol/model.ts';
import type { LocalAttachments } from '../desired/compute';
import type { PassReport, Reconciler } from './reconciler';

/** Options of the loop. */
export interface LoopOptions {
  reconciler: Reconciler;
  getConfig: () => HostConfig | null;
  getAttachments: () => LocalAttachments;
  debounceMs?: number; // default 200
  resyncMs?: number; // default 30 000
  /** After every pass (report status and applied revision to the API here). */
  onReport?: (report: PassReport, config: HostConfig) => void | Promise<void>;
  onError?: (err: unknown) => void;
}

/** A running loop. */
export interface ReconcileLoop {
  kick(): void;
  passNow(): Promise<PassReport | null>;
  stop(): void;
}

/** Starts the loop (the first pass runs after one debounce interval). */
export function startReconcileLoop(opts: LoopOptions): ReconcileLoop {
  let debounce: NodeJS.Timeout | null = null;
  let stopped = false;
  const passNow = async (): Promise<PassReport | null> => {
    const config = opts.getConfig();
    if (!config || stopped) return null;
    const report = await opts.reconciler.reconcile(config, opts.getAttachments());
    await opts.onReport?.(report, config);
    return report;
  };
  const safePass = () => void passNow().catch((e) => opts.onError?.(e));
  const kick = () => {
    if (stopped) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      safePass();
    }, opts.debounceMs ?? 200);
  };
  const timer = setInterval(safePass, opts.resyncMs ?? 30_000);
  timer.unref();
  kick();
  return {
    kick,
    passNow,
    stop() {
      stopped = true;
      clearInterval(timer);
      if (debounce) clearTimeout(debounce);
    },
  };
}
