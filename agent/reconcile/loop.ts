/**
 * The reconcile loop: when to run a pass. Feed events call `kick()`, a timer runs a full pass every
 * `resyncMs` to repair drift, and `passNow()` runs one immediately (attach).
 *
 * Batching without a fixed debounce (docs/architecture.md §8.6): a kick schedules one pass on the
 * next macrotask (`setImmediate`), so every delta read in the same turn — one SSE chunk — is applied
 * together; kicks that arrive while a pass runs coalesce into the pass that follows it. One loop
 * pass at a time. Deltas never wait for a kernel read they did not ask for: when a fast and a full
 * pass are both wanted, the fast one runs first and the full one right after it (a peer's key swap
 * during a rotation waits for no resync: the packets its host staged meanwhile are bounded).
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
  let fastWanted = false; // a delta to apply (against the baseline)
  let fullWanted = false; // a kernel read asked for (resync, snapshot, start)
  let fullKicks = 0; // full kicks so far: one that came during a full pass still gets its own
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
    if (stopped || running || timer || !(fastWanted || fullWanted)) return;
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
    if (stopped || !(fastWanted || fullWanted)) return;
    const mode: PassMode = fastWanted ? 'fast' : 'full';
    fastWanted = false;
    if (mode === 'full') fullWanted = false;
    const kicksBefore = fullKicks;
    running = true;
    try {
      const report = await passNow(mode);
      // A fast pass without a baseline read the kernel: the full kicks before it are answered.
      if (report?.mode === 'full' && fullKicks === kicksBefore) fullWanted = false;
    } catch (e) {
      opts.onError?.(e, mode);
    } finally {
      running = false;
      schedule();
    }
  };
  const kick = (mode: PassMode = 'fast') => {
    if (stopped) return;
    if (mode === 'full') {
      fullWanted = true;
      fullKicks++;
    } else fastWanted = true;
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
