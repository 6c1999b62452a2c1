import { and, asc, eq, gt, lte, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { changes, convergenceSamples, feedState, hostNetworkStatus, hosts } from '../../db/schema/index.ts';
import { appendChanges } from '../../feed/append.ts';
import { badInput, DomainError, notFound } from '../../domain/errors.ts';
import { networkAddressesOfHost, networksOfHost } from '../../feed/membership.ts';
import { scopeFilter } from '../../feed/read.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { groupWrite } from '../group-commit.ts';
import type { AgentReport, AgentSafetyReport } from '../../../protocol/agent-report.ts';
import { storePolicyCounters } from '../policies/counters.ts';

/** The mutation's input and the route's body are one contract (protocol/agent-report.ts). */
export type ReportHostStatusInput = AgentReport;

/** The agent's brake and fence, as it reports them (stored as JSON on the host; architecture §8.2, §8.3). */
export type AgentSafety = AgentSafetyReport;

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
 *
 * `tokenVersion`, when given, is the version of the agent token the report came with: a token
 * rotated or revoked since is refused (UNAUTHENTICATED) in the same transaction, so a caller that
 * verified the token's signature alone (src/agent-report.ts) needs no read of its own.
 *
 * Reports are most of the API's requests at scale (every agent after every pass, and on every
 * heartbeat), so a report is few statements: one read of the host with the head and the compaction
 * mark, one of the changes to sample, the update, the host's networks and one upsert of all their
 * health (when health is reported), one insert of the samples — all inside its group's write (../group-commit.ts), each in its own
 * savepoint, where no commit can move the head or the applied revision meanwhile.
 */
export async function reportHostStatus(
  ctx: ServiceContext,
  input: ReportHostStatusInput,
  options: { tokenVersion?: number } = {},
): Promise<Changed<{ hostId: string; samples: number }>> {
  const appliedRevision = input.appliedRevision;
  if (appliedRevision != null && (!Number.isInteger(appliedRevision) || appliedRevision < 0))
    throw badInput('appliedRevision must be a non-negative integer', { field: 'appliedRevision' });
  const now = ctx.now();
  const safety = input.safety?.brake || input.safety?.fence ? JSON.stringify({ brake: input.safety.brake ?? null, fence: input.safety.fence ?? null }) : null;
  return groupWrite(ctx.db, async (tx) => {
    const [host] = await tx
      .select({
        applied: hosts.appliedRevision,
        safety: hosts.agentSafety,
        tokenVersion: hosts.tokenVersion,
        head: sql<number | null>`(select max(${changes.revision}) from ${changes})`,
        compacted: sql<number | null>`(select ${feedState.value} from ${feedState} where ${feedState.key} = 'compacted_through')`,
      })
      .from(hosts)
      .where(eq(hosts.id, input.hostId));
    if (options.tokenVersion !== undefined && host?.tokenVersion !== options.tokenVersion)
      throw new DomainError('UNAUTHENTICATED', 'not authenticated: agent token was revoked or its host no longer exists');
    if (!host) throw notFound('host', input.hostId);
    const engaged = !storedSafety(host.safety)?.brake && input.safety?.brake ? input.safety.brake : null;
    const hostId = input.hostId;
    if (appliedRevision == null) {
      await tx.update(hosts).set({ lastHeartbeatAt: now, agentSafety: safety }).where(eq(hosts.id, hostId));
      if (input.policyCounters) await storePolicyCounters(tx, hostId, input.policyCounters, new Set(await networksOfHost(tx, hostId)), now);
      return { result: { hostId, samples: 0 }, changes: await brakeChanges(tx, hostId, engaged, now) };
    }
    // A revision above the head would leave the host "ahead" for good (pending -1, no more samples).
    const head = Number(host.head ?? 0);
    if (appliedRevision > head) throw badInput(`appliedRevision ${appliedRevision} is above the head revision ${head}`, { field: 'appliedRevision', head });
    // Samples only between two reports of a running agent, at most the most recent 200 changes (a
    // first report, or one after a long gap, would otherwise read and insert the whole history), and
    // none across a compaction (the rows are gone). Two racing reports never sample the same
    // change: the applied revision is read inside the write.
    const previous = host.applied ?? 0;
    const from = Math.max(previous, appliedRevision - 200);
    const applied =
      previous > 0 && appliedRevision > previous && from >= Number(host.compacted ?? 0)
        ? await tx
            .select({ revision: changes.revision, networkId: changes.networkId, createdAt: changes.createdAt })
            .from(changes)
            .where(and(gt(changes.revision, from), lte(changes.revision, appliedRevision), scopeFilter(tx, { hostId })))
            .orderBy(asc(changes.revision))
        : [];
    await tx
      .update(hosts)
      .set({ lastHeartbeatAt: now, agentSafety: safety, appliedRevision: sql`max(coalesce(${hosts.appliedRevision}, 0), ${appliedRevision})` })
      .where(eq(hosts.id, hostId));
    // Health rows only for networks the host is a member of now: a report racing a `network.left`
    // (or a confused agent) must not write status for a network it is not in.
    const member = input.networks?.length || input.policyCounters ? new Set(await networksOfHost(tx, hostId)) : new Set<string>();
    if (input.policyCounters) await storePolicyCounters(tx, hostId, input.policyCounters, member, now);
    const health = (input.networks ?? []).filter((n) => member.has(n.networkId));
    if (health.length) {
      await tx
        .insert(hostNetworkStatus)
        .values(health.map((n) => ({ hostId, networkId: n.networkId, healthy: n.healthy, message: n.message ?? null, appliedRevision, reportedAt: now })))
        .onConflictDoUpdate({
          target: [hostNetworkStatus.hostId, hostNetworkStatus.networkId],
          set: {
            healthy: sql`excluded.healthy`,
            message: sql`excluded.message`,
            appliedRevision: sql`excluded.applied_revision`,
            reportedAt: sql`excluded.reported_at`,
          },
        });
    }
    if (applied.length) {
      await tx
        .insert(convergenceSamples)
        .values(
          applied.map((row) => ({ hostId, networkId: row.networkId, revision: row.revision, latencyMs: Math.max(0, now - row.createdAt), reportedAt: now })),
        );
    }
    return { result: { hostId, samples: applied.length }, changes: await brakeChanges(tx, hostId, engaged, now) };
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
