/**
 * Per-network convergence (docs/architecture.md §6.6): which member hosts are behind the feed and by how many
 * changes that concern them, and the commit-to-applied time of recent changes (p50/p99).
 */
import { and, desc, eq, gt } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { convergenceSamples, hostNetworkStatus, hosts } from '../db/schema/index.ts';
import { hostsOfNetwork } from './membership.ts';
import { countPending } from './read.ts';
import { headRevision } from './snapshot.ts';

export interface HostConvergence {
  hostId: string;
  hostName: string;
  appliedRevision: number;
  pendingChanges: number; // changes concerning this host that it has not reported as applied
  healthy: boolean | null;
  message: string | null;
  lastReportAt: number | null;
}

export interface NetworkConvergence {
  headRevision: number;
  converged: boolean;
  hosts: HostConvergence[];
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Convergence of one network, with latency percentiles over the last `windowMs`. */
export async function networkConvergence(db: Database, networkId: string, now: number, windowMs = 3_600_000): Promise<NetworkConvergence> {
  const head = await headRevision(db.read);
  const out: HostConvergence[] = [];
  for (const hostId of (await hostsOfNetwork(db.read, networkId)).sort()) {
    const [host] = await db.read.select().from(hosts).where(eq(hosts.id, hostId));
    const [status] = await db.read
      .select()
      .from(hostNetworkStatus)
      .where(and(eq(hostNetworkStatus.hostId, hostId), eq(hostNetworkStatus.networkId, networkId)));
    const applied = host.appliedRevision ?? 0;
    const pending = await countPending(db.read, { hostId }, applied, head);
    out.push({
      hostId,
      hostName: host.name,
      appliedRevision: applied,
      pendingChanges: pending,
      healthy: status?.healthy ?? null,
      message: status?.message ?? null,
      lastReportAt: host.lastHeartbeatAt,
    });
  }
  const latencies = (
    await db.read
      .select({ ms: convergenceSamples.latencyMs })
      .from(convergenceSamples)
      .where(and(eq(convergenceSamples.networkId, networkId), gt(convergenceSamples.reportedAt, now - windowMs)))
      .orderBy(desc(convergenceSamples.id))
      .limit(10_000)
  )
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  return {
    headRevision: head,
    converged: out.every((h) => h.pendingChanges === 0),
    hosts: out,
    samples: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
