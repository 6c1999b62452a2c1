/**
 * The reconciler: the one loop with effects — observe → diff → apply → report. It programs
 * whatever model it is given: the safety brake and the fence decide that model beforehand
 * (agent/safety/gate.ts), for the kernel, DNS and the saved model alike.
 *
 * Owns: ordering of a pass, serializing passes, the one-line diff log and per-network status, and
 * the baseline of fast passes (docs/architecture.md §8.6). A *full* pass re-reads the kernel
 * ("observe, don't remember"). A *fast* pass diffs against the baseline instead: what the kernel
 * holds after the last pass that applied every op and met no problem (`asObserved` of that pass's
 * desired state). Any failure or problem drops the baseline, so the next pass is full; without a
 * baseline a fast pass is a full one. A full pass asked through `reconcileFull` reads the kernel
 * before its turn, so passes queued meanwhile run during the read; it reads again in its turn if
 * one of them wrote. Never: spawns processes itself (only through the
 * CommandRunner), or touches objects that are not ours. Level-triggered: feed events, the resync
 * timer and attach calls all call `reconcile` with the current model; with an unchanged model and
 * kernel a pass issues no write at all.
 */
import { existsSync } from 'node:fs';
import type { HostConfig } from '../../protocol/model.ts';
import type { Names } from '../config-names';
import { computeDesired, type DesiredOptions, type LocalAttachments, netnsPathOf } from '../desired/compute';
import type { CommandRunner } from '../exec/runner';
import { applyCommands, type OpFailure } from './apply';
import { toCommands } from './argv';
import { asObserved } from './baseline';
import { diff } from './diff';
import type { WgMode } from './diff-host';
import { observe } from './observe';
import { summarize, vniOf, type Op } from './ops';
import type { ObservedState } from '../observed/types';

/** Construction options; `names` and `runner` are required, the rest has production defaults. */
export interface ReconcilerOptions {
  runner: CommandRunner;
  names: Names;
  wgMode?: WgMode; // 'kernel' (default): the agent creates the device; 'external': wireguard-go
  privateKeyPath?: string; // the host's WireGuard private key file (never read by the agent itself)
  publicKey?: () => string; // that file's public key, read at each pass (it changes on a live rotation)
  desired?: Omit<DesiredOptions, 'names'>;
  log?: (line: string) => void;
  now?: () => number;
  pathExists?: (path: string) => boolean; // container netns paths; replaceable in fake-host tests
}

/** Status of one network after a pass. */
export interface NetworkStatus {
  vni: number;
  ok: boolean;
  errors: string[];
}

/**
 * `full`: observe the kernel, then diff (the resync timer, attach, snapshots, drift repair).
 * `fast`: diff against the baseline, no kernel read (feed deltas); full when there is no baseline.
 */
export type PassMode = 'fast' | 'full';

/** Everything a pass did, for logs, the API status report and tests. */
export interface PassReport {
  mode: PassMode; // how this pass ran (a fast request without a baseline runs full)
  ops: Op[]; // what was applied
  commands: number;
  summary: string;
  failures: OpFailure[];
  problems: string[]; // things no op can fix (e.g. WireGuard device missing in external mode)
  networks: Record<string, NetworkStatus>; // by network id
  hostErrors: string[];
  durationMs: number;
}

/** What a pass programs: the model and the containers attached here. */
export interface PassInput {
  config: HostConfig;
  attachments: LocalAttachments;
}

/** Builds the one reconciler of an agent. */
export function createReconciler(opts: ReconcilerOptions): Reconciler {
  return new Reconciler(opts);
}

/** See the module note. One instance per agent; passes are serialized. */
export class Reconciler {
  private queue: Promise<unknown> = Promise.resolve();
  /** The kernel as the last clean pass left it; null: unknown, the next pass observes. */
  private baseline: ObservedState | null = null;
  /** Bumped as a pass starts sending commands and again as it ends: a read across a change is stale. */
  private writes = 0;

  constructor(private readonly opts: ReconcilerOptions) {}

  /** Runs one pass (queued behind a running one; full unless told) and returns its report. */
  reconcile(config: HostConfig, attachments: LocalAttachments, mode: PassMode = 'full'): Promise<PassReport> {
    const run = this.queue.then(() => this.pass(config, attachments, mode));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A full pass whose kernel read holds no other pass back: a fast pass asked for meanwhile runs
   * during the read instead of after it (docs/architecture.md §8.6). The pass takes its turn once
   * the read is done, with the model `input()` gives then (never older than a pass queued before
   * it); if a pass wrote while the read ran, that read is stale and the pass reads again in its
   * turn, as `reconcile(…, 'full')` does. Null when `input()` has no model.
   */
  async reconcileFull(input: () => PassInput | null): Promise<{ report: PassReport; input: PassInput } | null> {
    if (!input()) return null; // no model yet: nothing to read the kernel for
    const writesBefore = this.writes;
    // A read that fails is read again in the pass's turn, where its error is the pass's.
    const early = await observe(this.opts.runner, this.opts.names).catch(() => null);
    const taken = input();
    if (!taken) return null;
    const run = this.queue.then(() => this.pass(taken.config, taken.attachments, 'full', this.writes === writesBefore ? early : null));
    this.queue = run.catch(() => undefined);
    return { report: await run, input: taken };
  }

  /** Forgets the baseline: the next pass, fast or not, reads the kernel. */
  forgetBaseline(): void {
    this.baseline = null;
  }

  private async pass(config: HostConfig, attachments: LocalAttachments, asked: PassMode, read: ObservedState | null = null): Promise<PassReport> {
    const { runner, names } = this.opts;
    const now = this.opts.now ?? Date.now;
    const started = now();
    const exists = this.opts.pathExists ?? existsSync;
    const problems: string[] = [];
    const live: LocalAttachments = {};
    for (const [id, a] of Object.entries(attachments)) {
      if (exists(netnsPathOf(a))) live[id] = a;
      else problems.push(`container ${id}: network namespace ${netnsPathOf(a)} is gone`);
    }
    const desired = computeDesired(config, live, { ...this.opts.desired, names, publicKey: this.opts.publicKey?.() });
    const mode: PassMode = asked === 'fast' && this.baseline ? 'fast' : 'full';
    // Dropped before anything can throw: a pass that does not finish leaves the kernel unknown.
    const base = mode === 'fast' ? this.baseline! : null;
    this.baseline = null;
    const observed = base ?? read ?? (await observe(runner, names));
    const d = diff(desired, observed, { names, wgMode: this.opts.wgMode ?? 'kernel', privateKeyPath: this.opts.privateKeyPath });
    problems.push(...d.problems);
    const ops = d.ops;
    const cmds = toCommands(ops);
    let failures: OpFailure[];
    if (cmds.length) this.writes++;
    try {
      failures = await applyCommands(runner, cmds);
    } finally {
      if (cmds.length) this.writes++;
    }
    // A gone container namespace is a fact about the input (the container left desired), not about
    // the kernel: only the diff's problems and failed ops leave the kernel unknown.
    if (!failures.length && !d.problems.length) this.baseline = asObserved(desired);

    const networks: Record<string, NetworkStatus> = {};
    const idOfVni = new Map<number, string>();
    for (const sb of desired.sandboxes) {
      idOfVni.set(sb.vni, sb.networkId);
      networks[sb.networkId] = { vni: sb.vni, ok: true, errors: [] };
    }
    const hostErrors = [...problems];
    for (const f of failures) {
      const vni = vniOf(f.op);
      const id = vni === null ? undefined : idOfVni.get(vni);
      if (id) {
        networks[id].ok = false;
        networks[id].errors.push(f.error);
      } else hostErrors.push(f.error);
    }
    const report: PassReport = {
      mode,
      ops,
      commands: cmds.length,
      summary: summarize(ops),
      failures,
      problems,
      networks,
      hostErrors,
      durationMs: now() - started,
    };
    if (ops.length || failures.length || problems.length) this.opts.log?.(logLine(report));
    return report;
  }
}

/** The one-line diff log of a pass. */
export function logLine(r: PassReport): string {
  const parts = [`reconcile (${r.mode}): ${r.summary}`, `${r.commands} cmds`, `${r.durationMs}ms`];
  if (r.failures.length) parts.push(`${r.failures.length} failed (first: ${r.failures[0].error})`);
  if (r.problems.length) parts.push(`problems: ${r.problems.join('; ')}`);
  return parts.join(', ');
}
