/**
 * The reconcile loop: when to run a pass. Feed events call `kick()`, a timer runs a full pass every
 * `resyncMs` to repair drift, and `passNow()` runs one immediately (attach).
 *
 * Batching without a fixed debounce (docs/architecture.md §8.6): a kick schedules one pass on the
 * next macrotask (`setImmediate`), so every delta read in the same turn — one SSE chunk — is applied
 * together; kicks that arrive while a pass runs coalesce into the one pass that follows it. One
 * loop pass at a time. A pass asked for `full` by any of the coalesced kicks runs full.
 *
 * Owns: timing only. Never: decides what to change (the reconciler does, from the current model and
 * attachments each time — level-triggered, so a coalesced or extra pass is always safe).
 * Without a model (first snapshot pending) no pass runs: an empty desired state must never be
 * inferred from "not loaded yet".
 */
import type { HostConfig } from '../../protocol/model.ts';
import type { LocalAttachments } from '../desired/compute';
import type { PassMode, PassReport, Reconciler } from './reconciler';

/** Options of the loop. */
export interface LoopOptions {
  reconciler: Reconciler;
  getConfig: () => HostConfig | null;
  getAttachments: () => LocalAttachments;
  /** Extra wait before a kicked pass, to gather more deltas (default 0: the next macrotask). */
  debounceMs?: number;
  resyncMs?: number; // default 30 000
  /** Kick the first (full) pass at once (default); false: the caller kicks it when it is ready. */
  kickOnStart?: boolean;
  /** After every pass (report status and applied revision to the API here); the next pass waits for it. */
  onReport?: (report: PassReport, config: HostConfig) => void | Promise<void>;
  onError?: (err: unknown, mode: PassMode) => void;
}

/** A running loop. */
export interface ReconcileLoop {
  /** Asks for a pass soon: `fast` (a feed delta; the default) or `full` (observe the kernel). */
  kick(mode?: PassMode): void;
  passNow(mode?: PassMode): Promise<PassReport | null>;
  stop(): void;
}

/** Starts the loop; its first pass (full: there is no baseline yet) is kicked at once unless told. */
export function startReconcileLoop(opts: LoopOptions): ReconcileLoop {
  let stopped = false;
  let wanted: PassMode | null = null; // what the next loop pass must do; null: nothing asked
  let running = false;
  let timer: { cancel(): void } | null = null; // a scheduled loop pass

  const passNow = async (mode: PassMode = 'full'): Promise<PassReport | null> => {
    const config = opts.getConfig();
    if (!config || stopped) return null;
    const report = await opts.reconciler.reconcile(config, opts.getAttachments(), mode);
    await opts.onReport?.(report, config);
    return report;
  };
  const schedule = () => {
    if (stopped || running || timer || !wanted) return;
    const wait = opts.debounceMs ?? 0;
    if (wait > 0) {
      const t = setTimeout(runWanted, wait);
      timer = { cancel: () => clearTimeout(t) };
    } else {
      const i = setImmediate(runWanted);
      timer = { cancel: () => clearImmediate(i) };
    }
  };
  const runWanted = async () => {
    timer = null;
    const mode = wanted;
    if (!mode || stopped) return;
    wanted = null;
    running = true;
    try {
      await passNow(mode);
    } catch (e) {
      opts.onError?.(e, mode);
    } finally {
      running = false;
      schedule();
    }
  };
  const kick = (mode: PassMode = 'fast') => {
    if (stopped) return;
    wanted = wanted === 'full' || mode === 'full' ? 'full' : 'fast';
    schedule();
  };
  const resync = setInterval(() => kick('full'), opts.resyncMs ?? 30_000);
  resync.unref();
  if (opts.kickOnStart !== false) kick('full');
  return {
    kick,
    passNow,
    stop() {
      stopped = true;
      clearInterval(resync);
      timer?.cancel();
    },
  };
}
