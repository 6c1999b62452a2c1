/**
 * The safety gate: between what the API says (`incoming`) and what this host serves (`serving`:
 * the model the kernel, the DNS views and the last-known-good file are derived from). It applies the
 * brake (brake.ts) and the fence (fence.ts) and nothing else; the agent asks it for the serving model
 * after every event. Deterministic: the clock is passed in.
 *
 * - A snapshot (list, relist) goes through the fence, then the brake.
 * - A delta's removals are explicit: whatever the previous incoming model had and the next lacks
 *   releases its held copy. Deltas never engage the brake.
 * - While fenced, the serving model does not move at all.
 */
import type { HostConfig } from '../../protocol/model.ts';
import {
  type BrakeHold,
  type BrakeOptions,
  DEFAULT_BRAKE,
  type ExplicitRemoval,
  impliedRemovals,
  NOTHING_HELD,
  onExplicitRemoval,
  onIncoming,
  onSnapshot,
  overlay,
  releasedByTime,
} from './brake.ts';
import { type Fence, fenceReason, type Stamp, trustedIsBack } from './fence.ts';

/** The brake and fence state, as `weft-agent status` and the API report show it. */
export interface SafetyStatus {
  brake: { since: number; objectsHeld: number; hostObjects: number; nearEmpty: boolean; reason: string } | null;
  fence: Fence | null;
}

export type GateEvent = 'snapshot' | 'delta' | 'cursor';

export class SafetyGate {
  private incoming: HostConfig | null;
  private serving: HostConfig | null;
  private hold: BrakeHold | null = null;
  private fence: Fence | null = null;

  /** `initial`: the last-known-good model (or null on a first start). */
  constructor(
    initial: HostConfig | null,
    private readonly opts: BrakeOptions = DEFAULT_BRAKE,
  ) {
    this.incoming = initial;
    this.serving = initial;
  }

  /** The model this host serves now. */
  model(): HostConfig | null {
    return this.serving;
  }

  status(): SafetyStatus {
    const h = this.hold;
    return {
      brake: h && { since: h.since, objectsHeld: h.objectsHeld, hostObjects: h.hostObjects, nearEmpty: h.nearEmpty, reason: h.reason },
      fence: this.fence,
    };
  }

  /**
   * A new model from the follower; returns whether the serving model changed. `stated`: the removals
   * the delta itself states (see statedRemovals), which may name objects only the hold still has.
   */
  update(next: HostConfig, event: GateEvent, now: number, stated: readonly ExplicitRemoval[] = []): boolean {
    const before = this.serving;
    const previous = this.incoming;
    this.incoming = next;
    const seen: Stamp = { generation: next.generation, revision: next.revision };
    if (this.fence) {
      if (!trustedIsBack(this.fence, seen)) {
        this.fence = { ...this.fence, seen };
        return false;
      }
      this.fence = null;
      event = 'snapshot'; // the trusted database is back: take its state as a fresh list
    } else {
      const trusted = this.serving && { generation: this.serving.generation, revision: this.serving.revision };
      const reason = fenceReason(trusted, seen);
      if (reason && trusted) {
        this.fence = { reason, trusted, seen, since: now };
        return false;
      }
    }
    if (event === 'snapshot') this.hold = onSnapshot(this.serving, this.hold, next, now, this.opts);
    else if (event === 'delta' && previous) {
      const explicit = impliedRemovals(previous, next);
      for (const r of stated) this.hold = onExplicitRemoval(this.hold, r);
      for (const n of explicit.networks) this.hold = onExplicitRemoval(this.hold, { kind: 'network', id: n.id });
      for (const c of explicit.containers) this.hold = onExplicitRemoval(this.hold, { kind: 'container', id: c.container.id });
      for (const a of explicit.applications) this.hold = onExplicitRemoval(this.hold, { kind: 'application', id: a.application.id });
      for (const p of explicit.peers) this.hold = onExplicitRemoval(this.hold, { kind: 'peer', id: p.hostId });
      this.hold = onIncoming(this.hold, next);
    }
    this.serving = overlay(next, this.hold?.held ?? NOTHING_HELD);
    return this.serving !== before;
  }

  /** Releases a hold whose time has come (never a near-empty one); returns whether it did. */
  tick(now: number): boolean {
    if (!releasedByTime(this.hold, now, this.opts)) return false;
    return this.release();
  }

  /** Operator: apply the held removals now. Returns how many objects were released (0: nothing held). */
  confirm(): number {
    const n = this.hold?.objectsHeld ?? 0;
    if (n) this.release();
    return n;
  }

  /** Operator: trust the generation (and revision) the API answers now, then take its state as a fresh list (through the brake). */
  acceptGeneration(now: number): Stamp | null {
    if (!this.fence || !this.incoming) return null;
    const accepted = this.fence.seen;
    this.fence = null;
    this.hold = onSnapshot(this.serving, this.hold, this.incoming, now, this.opts);
    this.serving = overlay(this.incoming, this.hold?.held ?? NOTHING_HELD);
    return accepted;
  }

  private release(): boolean {
    this.hold = null;
    if (!this.incoming || this.fence) return false;
    this.serving = this.incoming;
    return true;
  }
}

/** The removals a feed row states (container.removed, network.left, peer.removed, application.deleted). */
export function statedRemovals(change: { kind: string; networkId?: string | null; payload: Record<string, unknown> }): ExplicitRemoval[] {
  const id = (key: string) => (typeof change.payload[key] === 'string' ? (change.payload[key] as string) : null);
  const one = (kind: ExplicitRemoval['kind'], value: string | null | undefined): ExplicitRemoval[] => (value ? [{ kind, id: value }] : []);
  switch (change.kind) {
    case 'container.removed':
      return one('container', id('containerId'));
    case 'network.left':
      return one('network', id('networkId') ?? change.networkId);
    case 'peer.removed':
      return one('peer', id('hostId'));
    case 'application.deleted':
      return one('application', id('applicationId'));
    default:
      return [];
  }
}
