/**
 * The reconcile loop: when to run a pass. Feed events call `kick()`, and a timer runs a full pass
 * every `resyncMs` to repair drift.
 *
 * Batching without a fixed debounce (docs/architecture.md §8.6): a kick schedules a pass on the
 * next macrotask (`setImmediate`), so every delta read in the same turn — one SSE chunk — is applied
 * together; kicks that arrive while a pass runs coalesce into the pass that follows it. Deltas do
 * not queue behind a resync's kernel read (a peer's key swap during a rotation ends the window in
 * which its host stages packets, agent-dataplane.md "Host-key rotation"):
 * - when a fast and a full pass are both wanted, the fast one runs first, once: a full pass waits
 *   for one fast pass, not for a stream of them (drift repair keeps its timer during churn);
 * - a fast pass runs while a full pass reads the kernel (`Reconciler.reconcileFull`: that pass
 *   reads again if the fast one wrote). A full pass starts only while no fast pass runs.
 * At most one fast and one full pass at a time; `onReport` is called once per pass, one call after
 * the other, in the order the passes finished.
 *
 * Owns: timing only. Never: decides what to change (the reconciler does, from the current model and
 * attachments each time — level-triggered, so a coalesced or extra pass is always safe).
 * Without a model (first snapshot pending) no pass runs: an empty desired state must never be
 * inferred from "not loaded yet".
 */
import type { HostConfig } from '../../protocol/model.ts';
import type { LocalAttachments } from '../desired/compute';
import type { PassInput, PassMode, PassReport, Reconciler } from './reconciler';

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
  /** After every pass, with the model it programmed (report status and applied revision here); that pass ends with it. */
  onReport?: (report: PassReport, config: HostConfig) => void | Promise<void>;
  onError?: (err: unknown, mode: PassMode) => void;
}

/** A running loop. */
export interface ReconcileLoop {
  /** Asks for a pass soon: `fast` (a feed delta; the default) or `full` (observe the kernel). */
  kick(mode?: PassMode): void;
  stop(): void;
}

/** Starts the loop; its first pass (full: there is no baseline yet) is kicked at once unless told. */
export function startReconcileLoop(opts: LoopOptions): ReconcileLoop {
  let stopped = false;
  let fastWanted = false; // a delta to apply (against the baseline)
  let fullWanted = false; // a kernel read asked for (resync, snapshot, start)
  let fullKicks = 0; // full kicks so far: one that came during a full pass still gets its own
  let fullYielded = false; // the wanted full pass let a fast pass go first
  const running = { fast: false, full: false };
  let timer: { cancel(): void } | null = null; // a scheduled start
  let reported: Promise<unknown> = Promise.resolve(); // the last onReport call

  const input = (): PassInput | null => {
    const config = opts.getConfig();
    return config && !stopped ? { config, attachments: opts.getAttachments() } : null;
  };
  /** One pass; reports it after the reports of the passes that finished before it. */
  const pass = async (mode: PassMode): Promise<PassReport | null> => {
    let done: { report: PassReport; input: PassInput } | null;
    if (mode === 'fast') {
      const taken = input();
      done = taken && { report: await opts.reconciler.reconcile(taken.config, taken.attachments, 'fast'), input: taken };
    } else done = await opts.reconciler.reconcileFull(input);
    if (!done) return null;
    const { report, input: used } = done;
    const next = reported.then(() => opts.onReport?.(report, used.config));
    reported = next.catch(() => undefined);
    await next;
    return report;
  };
  const fastCan = () => fastWanted && !running.fast;
  const fullCan = () => fullWanted && !running.full && !running.fast;
  const schedule = () => {
    if (stopped || timer || !(fastCan() || fullCan())) return;
    const wait = opts.debounceMs ?? 0;
    if (wait > 0) {
      const t = setTimeout(start, wait);
      timer = { cancel: () => clearTimeout(t) };
    } else {
      const i = setImmediate(start);
      timer = { cancel: () => clearImmediate(i) };
    }
  };
  const start = () => {
    timer = null;
    if (stopped) return;
    // A wanted full pass yields to deltas once, not to a stream of them: drift repair keeps its timer.
    if (fullCan() && (fullYielded || !fastWanted)) {
      fullYielded = false;
      void run('full');
    } else if (fastCan()) {
      if (fullWanted) fullYielded = true;
      void run('fast');
    }
    schedule(); // the other lane: deltas run during a full pass's read
  };
  const run = async (mode: PassMode) => {
    if (mode === 'fast') fastWanted = false;
    else fullWanted = false;
    const kicksBefore = fullKicks;
    running[mode] = true;
    try {
      const report = await pass(mode);
      // A fast pass without a baseline read the kernel: the full kicks before it are answered.
      if (mode === 'fast' && report?.mode === 'full' && fullKicks === kicksBefore) fullWanted = false;
    } catch (e) {
      opts.onError?.(e, mode);
    } finally {
      running[mode] = false;
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
    stop() {
      stopped = true;
      clearInterval(resync);
      timer?.cancel();
    },
  };
}
