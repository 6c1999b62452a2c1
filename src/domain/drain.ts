/**
 * Safe-to-stop drain (docs/architecture.md §8.9). A drained container may be stopped once
 * - every member host of its network has applied the drain's revision (no host hands out its name), and
 * - the DNS TTL has passed since then (a resolver that cached its address has let go).
 * The TTL counts from the moment the last host applied the drain, not from the drain itself: a host
 * that applied it late may have answered with the address until then, and that answer lives a TTL.
 * So safeToStopAt = appliedAt + TTL, which is never earlier than the drain + TTL.
 * Members are the network's hosts that are UP and have an agent that reported; a DOWN host serves no
 * names (its own containers left DNS with it), so it does not hold a drain back. Pure.
 */

export interface DrainFacts {
  revision: number; // of the container.draining change
  ttlMs: number; // the network's DNS TTL
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

/** The members, UP and with an agent that reported, that have not applied `revision` yet: sorted ids. */
export function hostsBehind(members: readonly Member[], revision: number): string[] {
  return members
    .filter((m) => m.reported && m.liveness === 'UP' && (m.appliedRevision ?? 0) < revision)
    .map((m) => m.id)
    .sort();
}

export function drainProgress(d: DrainFacts, members: readonly Member[], now: number): DrainProgress {
  const pendingHosts = hostsBehind(members, d.revision);
  const appliedAt = d.appliedAt ?? (pendingHosts.length ? null : now);
  const due = appliedAt === null ? null : appliedAt + d.ttlMs;
  return { pendingHosts, appliedAt, safeToStopAt: due !== null && now >= due ? due : null };
}
