/**
 * Host liveness (docs/architecture.md §8.4): the API's call, from the agents' reports. Pure.
 *
 * - A host that reported once and has been silent for `downAfterMs` goes DOWN: its RUNNING
 *   containers leave DNS everywhere; its data-plane entries stay.
 * - A DOWN host that reports again goes UP.
 * - Partition guard: when more than `maxFraction` of the hosts that ever reported fall silent within
 *   one window, the API assumes it is the one cut off and marks nobody DOWN. The window is half of
 *   `downAfterMs`: hosts cut off together stop reporting within one heartbeat of each other, so
 *   when the first of them reaches `downAfterMs` the others are silent for at least half of it. The
 *   count takes the UP hosts silent for that long, and the hosts marked DOWN within the window (a
 *   staggered cut-off must not mark the first host down, then the second on its own).
 * - Grace after the guard: a host the guard held back is not marked DOWN until it has been silent for
 *   `downAfterMs` since the last sweep that held it back. A partition heals host by host, each at its
 *   next heartbeat: without the grace, the last host to report again would be alone in its silence,
 *   no longer "many at once", and marked DOWN for the seconds until its report (found by the e2e:
 *   a resumed host's 3 names left DNS). Kubernetes' node controller resets every node's probe time
 *   when a zone leaves full disruption for the same reason.
 * - The sweeping process's own blindness: silence from before `countFrom` (the API process's start)
 *   is not the host's. An API down for 25 s would otherwise find its hosts 25 s silent, and mark
 *   down the one whose heartbeat comes last after the restart.
 * A host that never reported (registered, no agent yet) is neither: it holds no data plane.
 */

export type Liveness = 'UP' | 'DOWN';

export interface LivenessOptions {
  downAfterMs: number;
  maxFraction: number;
  /** The sweeping process's start: silence before it is not counted towards DOWN. */
  countFrom?: number;
}

export interface HostBeat {
  id: string;
  lastSeenAt: number | null;
  liveness: Liveness;
  livenessChangedAt: number | null;
  heldBackAt: number | null; // the last sweep at which the partition guard held this host back
}

export interface LivenessStep {
  down: string[]; // UP → DOWN now
  up: string[]; // DOWN → UP now
  silent: string[]; // every host silent for downAfterMs (UP or DOWN)
  partitioned: boolean; // the guard held back `wouldGoDown`
  wouldGoDown: string[]; // silent hosts still UP: the guard holds them back, or their grace runs
}

/** The latest report time that is silence at `now`: a host last seen then or before is silent. */
export const silentThrough = (now: number, o: Pick<LivenessOptions, 'downAfterMs'>): number => now - o.downAfterMs;

/**
 * Whether a step can move anything: only when a host that reported is UP and silent (it may go
 * DOWN, or the guard may hold it back), or DOWN and heard from since `silentThrough` (it goes UP).
 * Otherwise `livenessStep` has no transition and no partition. The sweep asks this first, of the
 * database (services/hosts/liveness.ts `mayChange`), so a quiet fleet is not read host by host.
 */
export const mayChange = (hosts: readonly HostBeat[], now: number, o: Pick<LivenessOptions, 'downAfterMs'>): boolean =>
  hosts.some((h) => h.lastSeenAt !== null && (h.liveness === 'UP') === h.lastSeenAt <= silentThrough(now, o));

export function livenessStep(hosts: readonly HostBeat[], now: number, o: LivenessOptions): LivenessStep {
  const seen = hosts.filter((h) => h.lastSeenAt !== null);
  const isSilent = (h: HostBeat) => (h.lastSeenAt as number) <= silentThrough(now, o);
  const silent = seen.filter(isSilent);
  const up = seen.filter((h) => h.liveness === 'DOWN' && !isSilent(h)).map((h) => h.id);
  const wouldGoDown = silent.filter((h) => h.liveness === 'UP');
  const window = o.downAfterMs / 2;
  const quietUp = seen.filter((h) => h.liveness === 'UP' && now - (h.lastSeenAt as number) >= o.downAfterMs - window).length;
  const justDown = seen.filter((h) => h.liveness === 'DOWN' && isSilent(h) && h.livenessChangedAt !== null && now - h.livenessChangedAt < window).length;
  const partitioned = wouldGoDown.length > 0 && (quietUp + justDown) / seen.length > o.maxFraction;
  const clock = (h: HostBeat) => Math.max(h.lastSeenAt as number, h.heldBackAt ?? -Infinity, o.countFrom ?? -Infinity);
  const down = partitioned ? [] : wouldGoDown.filter((h) => now - clock(h) >= o.downAfterMs).map((h) => h.id);
  return { down, up, silent: silent.map((h) => h.id), partitioned, wouldGoDown: wouldGoDown.map((h) => h.id) };
}
