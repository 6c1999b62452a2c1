import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { convergenceSamples, hostNetworkStatus, hosts } from '../../db/schema/index.ts';
import { appendChanges } from '../../feed/append.ts';
import { badInput } from '../../domain/errors.ts';
import { networkAddressesOfHost, networksOfHost } from '../../feed/membership.ts';
import { readFeedPage } from '../../feed/read.ts';
import { headRevision } from '../../feed/snapshot.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { groupWrite } from '../group-commit.ts';
import { getHost } from '../../db/lookups.ts';
import type { PolicyCounterReport } from '../../../protocol/policy/counters.ts';
import { storePolicyCounters } from '../policies/counters.ts';

export interface ReportHostStatusInput {
  hostId: string;
  /** Absent in a fenced agent's report: its revision belongs to another database (architecture §8.3). */
  appliedRevision?: number | null;
  applyMs?: number | null;
  networks?: { networkId: string; healthy: boolean; message?: string | null }[] | null;
  safety?: AgentSafety | null;
  /** The policy tables' counters per network (docs/policies.md#counters). */
  policyCounters?: PolicyCounterReport[] | null;
}

/** The agent's brake and fence, as it reports them (stored as JSON on the host; architecture §8.2, §8.3). */
export interface AgentSafety {
  brake?: { since: string; objectsHeld: number; hostObjects: number; nearEmpty: boolean; reason: string } | null;
  fence?: { reason: string; trustedGeneration: string; trustedRevision: number; seenGeneration: string; seenRevision: number; since: string } | null;
}

/** The stored safety JSON, or null when all is clear. */
export function storedSafety(json: string | null): AgentSafety | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as AgentSafety;
  } catch {
    return null;
  }
}

/**
 * Records an agent's report: the revision it has applied, its per-network health, and — for every
 * change that concerned it since its previous report — the time from commit to applied (samples for
 * `network.convergence`). Reports never move a host's applied revision backwards, and never past
 * the head: a revision that was never committed is refused (BAD_USER_INPUT) and nothing is written.
 * Every report is a heartbeat (liveness, architecture §8.4). A report without a revision only
 * records the heartbeat and the safety state. When the agent's brake engages, `host.brake_engaged`
 * is appended once per network of the host, for its projects' webhooks.
 */
export async function reportHostStatus(ctx: ServiceContext, input: ReportHostStatusInput): Promise<Changed<{ hostId: string; samples: number }>> {
  if (input.appliedRevision != null && (!Number.isInteger(input.appliedRevision) || input.appliedRevision < 0))
    throw badInput('appliedRevision must be a non-negative integer', { field: 'appliedRevision' });
  const host = await getHost(ctx.db.read, input.hostId);
  const now = ctx.now();
  const safety = input.safety?.brake || input.safety?.fence ? JSON.stringify({ brake: input.safety.brake ?? null, fence: input.safety.fence ?? null }) : null;
  const engaged = !storedSafety(host.agentSafety)?.brake && input.safety?.brake ? input.safety.brake : null;
  // Reports are many and small (every agent, after every pass and on every heartbeat): they commit
  // in groups (../group-commit.ts), each in its own savepoint.
  if (input.appliedRevision == null) {
    return groupWrite(ctx.db, async (tx) => {
      await tx.update(hosts).set({ lastHeartbeatAt: now, agentSafety: safety }).where(eq(hosts.id, host.id));
      if (input.policyCounters) await storePolicyCounters(tx, host.id, input.policyCounters, new Set(await networksOfHost(tx, host.id)), now);
      return { result: { hostId: host.id, samples: 0 }, changes: await brakeChanges(tx, host.id, engaged, now) };
    });
  }
  const appliedRevision = input.appliedRevision;
  // Samples only between two reports of a running agent, and at most the most recent 200 changes:
  // a first report (or one after a long gap) would otherwise read and insert the whole history.
  const previous = host.appliedRevision ?? 0;
  const from = Math.max(previous, appliedRevision - 200);
  const page = previous > 0 && appliedRevision > previous ? await readFeedPage(ctx.db, { hostId: host.id }, from, 200) : null;
  const candidates = page && !page.resync ? page.rows.filter((r) => r.revision <= appliedRevision) : [];
  return groupWrite(ctx.db, async (tx) => {
    // A revision above the head would leave the host "ahead" for good (pending -1, no more samples).
    // Read inside the write: no commit can move the head meanwhile, so a report is never refused
    // against a stale head.
    const head = await headRevision(tx);
    if (appliedRevision > head) throw badInput(`appliedRevision ${appliedRevision} is above the head revision ${head}`, { field: 'appliedRevision', head });
    // Two reports racing each other must not both sample the same changes: keep only those above
    // the applied revision as it is now, inside the write.
    const [current] = await tx.select({ applied: hosts.appliedRevision }).from(hosts).where(eq(hosts.id, host.id));
    const applied = candidates.filter((r) => r.revision > (current?.applied ?? 0));
    await tx
      .update(hosts)
      .set({ lastHeartbeatAt: now, agentSafety: safety, appliedRevision: sql`max(coalesce(${hosts.appliedRevision}, 0), ${appliedRevision})` })
      .where(eq(hosts.id, host.id));
    // Health rows only for networks the host is a member of now: a report racing a `network.left`
    // (or a confused agent) must not write status for a network it is not in.
    const member = new Set(await networksOfHost(tx, host.id));
    if (input.policyCounters) await storePolicyCounters(tx, host.id, input.policyCounters, member, now);
    for (const n of (input.networks ?? []).filter((x) => member.has(x.networkId))) {
      await tx
        .insert(hostNetworkStatus)
        .values({
          hostId: host.id,
          networkId: n.networkId,
          healthy: n.healthy,
          message: n.message ?? null,
          appliedRevision: appliedRevision,
          reportedAt: now,
        })
        .onConflictDoUpdate({
          target: [hostNetworkStatus.hostId, hostNetworkStatus.networkId],
          set: { healthy: n.healthy, message: n.message ?? null, appliedRevision: appliedRevision, reportedAt: now },
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
    return { result: { hostId: host.id, samples: applied.length }, changes: await brakeChanges(tx, host.id, engaged, now) };
  });
}

/** `host.brake_engaged` for each network of the host, when the brake has just engaged. */
async function brakeChanges(tx: Tx, hostId: string, brake: AgentSafety['brake'] | null, now: number) {
  if (!brake) return [];
  return appendChanges(
    tx,
    (await networkAddressesOfHost(tx, hostId)).map(({ networkId, projectId }) => ({
      kind: 'host.brake_engaged' as const,
      projectId,
      networkId,
      hostId,
      payload: { hostId, since: brake.since, objectsHeld: brake.objectsHeld, reason: brake.reason },
    })),
    now,
  );
}
