/**
 * The safety brake (docs/architecture.md §7.4): a change set that would delete most of this host's data plane at
 * once is not applied without a second confirmation.
 *
 * Decision: size = sandboxes + remote neighbour entries + WireGuard peers. When a pass would delete
 * more than `ratio` (default 50%) of a data plane of at least `minObjects` (default 10), its
 * deletions are held back (additions and repairs still apply) until either
 *   - the same desired state has been seen on passes spanning `confirmAfterMs` (default 60 s), or
 *   - an operator confirms once (`confirm()`, e.g. the `--confirm-deletes` flag or a signal).
 * Why hold only deletions: an empty snapshot after a database accident has nothing to add, and
 * drift repair must keep working while the brake is on.
 */
import { createHash } from 'node:crypto';
import type { DesiredState } from '../desired/types';
import type { ObservedState } from '../observed/types';
import { isDelete, type Op } from './ops';

/** Tuning of the brake. */
export interface BrakeOptions {
  ratio?: number;
  minObjects?: number;
  confirmAfterMs?: number;
}

/** What the brake decided for one pass. */
export interface BrakeDecision {
  hold: boolean;
  deleting: number;
  size: number;
  reason?: string;
  since?: number; // when this desired state was first held
  releaseAt?: number;
}

/** Stateful across passes: remembers which desired state it is holding and since when. */
export class SafetyBrake {
  private pending: { key: string; since: number } | null = null;
  private confirmed = false;

  constructor(private readonly opts: BrakeOptions = {}) {}

  /** Operator override: the next held change set is applied once. */
  confirm(): void {
    this.confirmed = true;
  }

  /** Decides whether the deletions in `ops` must be held back on this pass. */
  check(ops: Op[], desired: DesiredState, observed: ObservedState, now: number): BrakeDecision {
    const { size, deleting } = measure(ops, observed);
    const ratio = this.opts.ratio ?? 0.5;
    const big = size >= (this.opts.minObjects ?? 10) && deleting / size > ratio;
    if (!big) {
      this.pending = null;
      return { hold: false, deleting, size };
    }
    const key = createHash('sha256').update(JSON.stringify(desired)).digest('hex');
    if (this.pending?.key !== key) this.pending = { key, since: now };
    const releaseAt = this.pending.since + (this.opts.confirmAfterMs ?? 60_000);
    if (this.confirmed || now >= releaseAt) {
      this.confirmed = false;
      this.pending = null;
      return { hold: false, deleting, size, reason: 'confirmed' };
    }
    const reason = `would delete ${deleting} of ${size} data-plane objects (> ${Math.round(ratio * 100)}%)`;
    return { hold: true, deleting, size, reason, since: this.pending.since, releaseAt };
  }
}

function measure(ops: Op[], o: ObservedState): { size: number; deleting: number } {
  const neighOf = (ns: string) => (o.sandboxes[ns]?.neigh ?? []).filter((n) => n.permanent).length;
  const sandboxes = Object.keys(o.sandboxes);
  const size = sandboxes.length + sandboxes.reduce((s, ns) => s + neighOf(ns), 0) + (o.wg?.peers.length ?? 0);
  let deleting = 0;
  for (const op of ops.filter(isDelete)) {
    if (op.kind === 'netns.del') deleting += 1 + neighOf(op.ns);
    else if (op.kind === 'neigh.del') deleting += 1;
    else if (op.kind === 'wg.peers') deleting += op.remove.length;
  }
  return { size, deleting };
}
