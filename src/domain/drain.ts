/**
 * Safe-to-stop drain (docs/architecture.md §8.5). A drained container may be stopped at the later of
 * - the DNS TTL expiring after the drain (a resolver that cached its address before has let go), and
 * - every member host of its network having applied the drain's revision (no host still hands out
 *   its name).
 * Members are the network's hosts that are UP and have an agent that reported; a DOWN host serves no
 * names (its own containers left DNS with it), so it does not hold a drain back. Pure.
 */

export interface DrainFacts {
  revision: number; // of the container.draining change
  ttlExpiresAt: number;
  appliedAt: number | null; // when every member host was first seen past `revision`
}

export interface Member {
  id: string;
  appliedRevision: number | null;
  liveness: 'UP' | 'DOWN';
  reported: boolean;
}

export interface DrainProgress {
  pendingHosts: string[];
  appliedAt: number | null;
  safeToStopAt: number | null; // set once both conditions hold and the moment has come
}

export function drainProgress(d: DrainFacts, members: readonly Member[], now: number): DrainProgress {
  const pendingHosts = members
    .filter((m) => m.reported && m.liveness === 'UP' && (m.appliedRevision ?? 0) < d.revision)
    .map((m) => m.id)
    .sort();
  const appliedAt = d.appliedAt ?? (pendingHosts.length ? null : now);
  const due = appliedAt === null ? null : Math.max(d.ttlExpiresAt, appliedAt);
  return { pendingHosts, appliedAt, safeToStopAt: due !== null && now >= due ? due : null };
}
