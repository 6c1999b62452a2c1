import { and, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { changes, containers, convergenceSamples, feedState, hostNetworkStatus, hosts } from '../../db/schema/index.ts';
import { appendChanges } from '../../feed/append.ts';
import { badInput } from '../../domain/errors.ts';
import { networkAddressesOfHost } from '../../feed/membership.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { groupCommitter, type Outcome } from '../group-commit.ts';
import type { AgentReport, AgentSafetyReport } from '../../../protocol/agent-report.ts';
import { checkPolicyCounters, storePolicyCounters } from '../policies/counters.ts';
import {
  type AcceptedReport,
  appliedAt,
  type Brake,
  checkPasses,
  mergedRanges,
  planReports,
  type QueuedReport,
  type ReportedHost,
  reportIntervalMs,
  sampledChanges,
  type SampledChange,
} from './report-plan.ts';

export { storedSafety } from './report-plan.ts';

/**
 * What an accepted report answers: its host, the samples it recorded, and the pace of the agent's
 * routine reports (./report-plan.ts `reportIntervalMs`).
 */
export interface ReportOutcome {
  hostId: string;
  samples: number;
  reportIntervalMs: number;
}

/** The mutation's input and the route's body are one contract (protocol/agent-report.ts). */
export type ReportHostStatusInput = AgentReport;

/** The agent's brake and fence, as it reports them (stored as JSON on the host; architecture §8.2, §8.3). */
export type AgentSafety = AgentSafetyReport;

/**
 * How long a report waits for others to share its group's transaction (../group-commit.ts). A report
 * is an acknowledgement, off every hot path (the agent does not wait for it), so a few milliseconds
 * cost nothing; at a thousand agents they make groups of tens of reports, written with a few
 * statements in all instead of several each.
 */
export const REPORT_GROUP_WINDOW_MS = 5;

/**
 * Records an agent's report: the revision it has applied, its per-network health, and — for every
 * change that concerned it since its previous report — the time from commit to applied (samples for
 * `network.convergence`), applied when the report's passes say (./report-plan.ts `appliedAt`).
 * Reports never move a host's applied revision backwards, and never past the head: a revision that
 * was never committed is refused (BAD_USER_INPUT) and nothing is written. The answer carries the
 * pace of the agent's routine reports (`reportIntervalMs`, architecture §8.5).
 * Every report is a heartbeat (liveness, architecture §8.4). A report without a revision only
 * records the heartbeat and the safety state. When the agent's brake engages, `host.brake_engaged`
 * is appended once per network of the host, for its projects' webhooks.
 *
 * `tokenVersion`, when given, is the version of the agent token the report came with: a token
 * rotated or revoked since is refused (UNAUTHENTICATED) in the same transaction, so a caller that
 * verified the token's signature alone (src/agent-report.ts) needs no read of its own.
 *
 * Reports are most of the API's requests at scale (every agent after every pass, and on every
 * heartbeat), so they are written in groups (`writeReports`): what each report does is decided by
 * ./report-plan.ts, and the group is one read of its hosts, one of their memberships, one of the
 * changes to sample, one update of the hosts, one upsert of all the health and one insert of all
 * the samples, whatever its size.
 */
export async function reportHostStatus(
  ctx: ServiceContext,
  input: ReportHostStatusInput,
  options: { tokenVersion?: number } = {},
): Promise<Changed<ReportOutcome>> {
  const appliedRevision = input.appliedRevision;
  if (appliedRevision != null && (!Number.isInteger(appliedRevision) || appliedRevision < 0))
    throw badInput('appliedRevision must be a non-negative integer', { field: 'appliedRevision' });
  checkPasses(input);
  if (input.policyCounters) checkPolicyCounters(input.policyCounters);
  return commitReport(ctx.db, { input, tokenVersion: options.tokenVersion, now: ctx.now(), reportsPerSecond: ctx.config.fleet.reportsPerSecond });
}

const commitReport = groupCommitter(writeReports, { windowMs: REPORT_GROUP_WINDOW_MS });

/** SQLite's limit on bound parameters is far above this; a group of reports stays well below it in every statement. */
const ROWS_PER_STATEMENT = 200;
const chunks = <T>(list: T[]): T[][] =>
  Array.from({ length: Math.ceil(list.length / ROWS_PER_STATEMENT) }, (_, i) => list.slice(i * ROWS_PER_STATEMENT, (i + 1) * ROWS_PER_STATEMENT));

/** Writes a group of reports in the group's write transaction; see `reportHostStatus`. */
export async function writeReports(
  tx: Tx,
  reports: QueuedReport[],
): Promise<{
  outcomes: Outcome<ReportOutcome>[];
  changes: Awaited<ReturnType<typeof appendChanges>>;
}> {
  const hostIds = [...new Set(reports.map((r) => r.input.hostId))];
  const rows = await tx
    .select({
      id: hosts.id,
      applied: hosts.appliedRevision,
      safety: hosts.agentSafety,
      tokenVersion: hosts.tokenVersion,
      head: sql<number | null>`(select max(${changes.revision}) from ${changes})`,
      compacted: sql<number | null>`(select ${feedState.value} from ${feedState} where ${feedState.key} = 'compacted_through')`,
      // the hosts whose agents report, for the pace (a host is UP from its registration, before any report)
      up: sql<number>`(select count(*) from hosts as up_hosts where up_hosts.liveness = 'UP' and up_hosts.last_heartbeat_at is not null)`,
    })
    .from(hosts)
    .where(inArray(hosts.id, hostIds));
  // The head and the compaction mark come with every host row; with no host known, every report is refused before either counts.
  const feed = rows[0];
  const known = new Map<string, ReportedHost>(rows.map((h) => [h.id, { applied: h.applied, safety: h.safety, tokenVersion: h.tokenVersion }]));
  const plan = planReports(reports, known, { head: Number(feed?.head ?? 0), compacted: Number(feed?.compacted ?? 0) });
  const accepted = plan.outcomes.flatMap((o) => (o.ok ? [o.accepted] : []));
  const outcome = (a: AcceptedReport, samples: number): Outcome<ReportOutcome> => ({
    ok: true,
    value: { hostId: a.hostId, samples, reportIntervalMs: reportIntervalMs(Number(feed?.up ?? 0), reports[a.index].reportsPerSecond ?? 0) },
  });
  if (!accepted.length) return { outcomes: plan.outcomes.map((o) => (o.ok ? outcome(o.accepted, 0) : o)), changes: [] };

  // Health, counters and samples only for networks the host is a member of now: a report racing a
  // `network.left` (or a confused agent) must not write status for a network it is not in.
  const members = new Map<string, Set<string>>(plan.updates.map((u) => [u.hostId, new Set<string>()]));
  const needsMembers = accepted.some((a) => a.sample || reports[a.index].input.networks?.length || reports[a.index].input.policyCounters);
  if (needsMembers) {
    const memberRows = await tx
      .selectDistinct({ hostId: containers.hostId, networkId: containers.networkId })
      .from(containers)
      .where(inArray(containers.hostId, [...members.keys()]));
    for (const m of memberRows) members.get(m.hostId)?.add(m.networkId);
  }
  const ranges = mergedRanges(accepted);
  const candidates: SampledChange[] = ranges.length
    ? await tx
        .select({ revision: changes.revision, networkId: changes.networkId, hostId: changes.hostId, createdAt: changes.createdAt })
        .from(changes)
        .where(
          and(
            or(...ranges.map((r) => and(gt(changes.revision, r.from), lte(changes.revision, r.to)))),
            or(isNull(changes.hostId), inArray(changes.hostId, [...members.keys()])),
          ),
        )
        .orderBy(changes.revision)
    : [];

  for (const group of chunks(plan.updates)) {
    const values = sql.join(
      group.map((u) => sql`(${u.hostId}, ${u.heartbeatAt}, ${u.safety}, ${u.applied})`),
      sql`, `,
    );
    await tx.run(
      sql`update ${hosts} set last_heartbeat_at = v.column2, agent_safety = v.column3, applied_revision = v.column4 from (values ${values}) as v where ${hosts.id} = v.column1`,
    );
  }

  const health = new Map<string, typeof hostNetworkStatus.$inferInsert>();
  const samples: (typeof convergenceSamples.$inferInsert)[] = [];
  const counts = new Map<number, number>();
  const engaged: { hostId: string; brake: Brake; now: number }[] = [];
  for (const a of accepted) {
    const r = reports[a.index];
    const member = members.get(a.hostId) ?? new Set<string>();
    const applied = r.input.appliedRevision;
    if (applied != null)
      for (const n of r.input.networks ?? [])
        if (member.has(n.networkId))
          health.set(`${a.hostId}\n${n.networkId}`, {
            hostId: a.hostId,
            networkId: n.networkId,
            healthy: n.healthy,
            message: n.message ?? null,
            appliedRevision: applied,
            reportedAt: r.now,
          });
    const sampled = sampledChanges(a, member, candidates);
    counts.set(a.index, sampled.length);
    for (const c of sampled)
      samples.push({
        hostId: a.hostId,
        networkId: c.networkId,
        revision: c.revision,
        latencyMs: Math.max(0, appliedAt(r.input.passes, r.now, c.revision) - c.createdAt),
        reportedAt: r.now,
      });
    if (r.input.policyCounters) await storePolicyCounters(tx, a.hostId, r.input.policyCounters, member, r.now);
    if (a.engaged) engaged.push({ hostId: a.hostId, brake: a.engaged, now: r.now });
  }
  for (const group of chunks([...health.values()]))
    await tx
      .insert(hostNetworkStatus)
      .values(group)
      .onConflictDoUpdate({
        target: [hostNetworkStatus.hostId, hostNetworkStatus.networkId],
        set: {
          healthy: sql`excluded.healthy`,
          message: sql`excluded.message`,
          appliedRevision: sql`excluded.applied_revision`,
          reportedAt: sql`excluded.reported_at`,
        },
      });
  for (const group of chunks(samples)) await tx.insert(convergenceSamples).values(group);
  const appended = [];
  for (const e of engaged) appended.push(...(await brakeChanges(tx, e.hostId, e.brake, e.now)));
  return {
    outcomes: plan.outcomes.map((o) => (o.ok ? outcome(o.accepted, counts.get(o.accepted.index) ?? 0) : o)),
    changes: appended,
  };
}

/** `host.brake_engaged` for each network of the host, when the brake has just engaged. */
async function brakeChanges(tx: Tx, hostId: string, brake: Brake, now: number) {
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
