import { eq, sql } from 'drizzle-orm';
import { convergenceSamples, hostNetworkStatus, hosts } from '../../db/schema/index.ts';
import { badInput } from '../../domain/errors.ts';
import { networksOfHost } from '../../feed/membership.ts';
import { readFeedPage } from '../../feed/read.ts';
import { headRevision } from '../../feed/snapshot.ts';
import { type ServiceContext } from '../context.ts';
import { getHost } from '../../db/lookups.ts';

export interface ReportHostStatusInput {
  hostId: string;
  appliedRevision: number;
  applyMs?: number | null;
  networks?: { networkId: string; healthy: boolean; message?: string | null }[] | null;
}

/**
 * Records an agent's report: the revision it has applied, its per-network health, and — for every
 * change that concerned it since its previous report — the time from commit to applied (samples for
 * `network.convergence`). Reports never move a host's applied revision backwards, and never past
 * the head: a revision that was never committed is refused (BAD_USER_INPUT) and nothing is written.
 */
export async function reportHostStatus(ctx: ServiceContext, input: ReportHostStatusInput): Promise<{ hostId: string; samples: number }> {
  if (!Number.isInteger(input.appliedRevision) || input.appliedRevision < 0)
    throw badInput('appliedRevision must be a non-negative integer', { field: 'appliedRevision' });
  const host = await getHost(ctx.db.read, input.hostId);
  const now = ctx.now();
  // Samples only between two reports of a running agent, and at most the most recent 200 changes:
  // a first report (or one after a long gap) would otherwise read and insert the whole history.
  const previous = host.appliedRevision ?? 0;
  const from = Math.max(previous, input.appliedRevision - 200);
  const page = previous > 0 && input.appliedRevision > previous ? await readFeedPage(ctx.db, { hostId: host.id }, from, 200) : null;
  const candidates = page && !page.resync ? page.rows.filter((r) => r.revision <= input.appliedRevision) : [];
  return ctx.db.write(async (tx) => {
    // A revision above the head would leave the host "ahead" for good (pending -1, no more samples).
    // Read inside the write: no commit can move the head meanwhile, so a report is never refused
    // against a stale head.
    const head = await headRevision(tx);
    if (input.appliedRevision > head)
      throw badInput(`appliedRevision ${input.appliedRevision} is above the head revision ${head}`, { field: 'appliedRevision', head });
    // Two reports racing each other must not both sample the same changes: keep only those above
    // the applied revision as it is now, inside the write.
    const [current] = await tx.select({ applied: hosts.appliedRevision }).from(hosts).where(eq(hosts.id, host.id));
    const applied = candidates.filter((r) => r.revision > (current?.applied ?? 0));
    await tx
      .update(hosts)
      .set({ lastHeartbeatAt: now, appliedRevision: sql`max(coalesce(${hosts.appliedRevision}, 0), ${input.appliedRevision})` })
      .where(eq(hosts.id, host.id));
    // Health rows only for networks the host is a member of now: a report racing a `network.left`
    // (or a confused agent) must not write status for a network it is not in.
    const member = new Set(await networksOfHost(tx, host.id));
    for (const n of (input.networks ?? []).filter((x) => member.has(x.networkId))) {
      await tx
        .insert(hostNetworkStatus)
        .values({
          hostId: host.id,
          networkId: n.networkId,
          healthy: n.healthy,
          message: n.message ?? null,
          appliedRevision: input.appliedRevision,
          reportedAt: now,
        })
        .onConflictDoUpdate({
          target: [hostNetworkStatus.hostId, hostNetworkStatus.networkId],
          set: { healthy: n.healthy, message: n.message ?? null, appliedRevision: input.appliedRevision, reportedAt: now },
        });
    }
    if (applied.length) {
      await tx.insert(convergenceSamples).values(
        applied.map((row) => ({
          hostId: host.id,
          networkId: row.networkId,
          revision: row.revision,
          latencyMs: Math.max(0, now - row.createdAt),
          reportedAt: now,
        })),
      );
    }
    return { hostId: host.id, samples: applied.length };
  });
}
