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
 * A host that never reported (registered, no agent yet) is neither: it holds no data plane.
 */

export type Liveness = 'UP' | 'DOWN';

export interface LivenessOptions {
  downAfterMs: number;
  maxFraction: number;
}

export interface HostBeat {
  id: string;
  lastSeenAt: number | null;
  liveness: Liveness;
  livenessChangedAt: number | null;
}

export interface LivenessStep {
  down: string[]; // UP → DOWN now
  up: string[]; // DOWN → UP now
  silent: string[]; // every host silent for downAfterMs (UP or DOWN)
  partitioned: boolean; // the guard held back `wouldGoDown`
  wouldGoDown: string[];
}

export function livenessStep(hosts: readonly HostBeat[], now: number, o: LivenessOptions): LivenessStep {
  const seen = hosts.filter((h) => h.lastSeenAt !== null);
  const isSilent = (h: HostBeat) => now - (h.lastSeenAt as number) >= o.downAfterMs;
  const silent = seen.filter(isSilent);
  const up = seen.filter((h) => h.liveness === 'DOWN' && !isSilent(h)).map((h) => h.id);
  const wouldGoDown = silent.filter((h) => h.liveness === 'UP').map((h) => h.id);
  const window = o.downAfterMs / 2;
  const quietUp = seen.filter((h) => h.liveness === 'UP' && now - (h.lastSeenAt as number) >= o.downAfterMs - window).length;
  const justDown = seen.filter((h) => h.liveness === 'DOWN' && isSilent(h) && h.livenessChangedAt !== null && now - h.livenessChangedAt < window).length;
  const partitioned = wouldGoDown.length > 0 && (quietUp + justDown) / seen.length > o.maxFraction;
  return { down: partitioned ? [] : wouldGoDown, up, silent: silent.map((h) => h.id), partitioned, wouldGoDown };
}
