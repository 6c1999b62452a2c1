/**
 * What a group of agent reports does, decided without the database (./report.ts reads the rows,
 * writes the plan). The reports of a group are taken in arrival order, as if each had been written
 * alone: a host's second report in a group sees the revision and the safety state its first one left.
 *
 * Per report: refused when its token was rotated or revoked (UNAUTHENTICATED, when the caller passed
 * the token's version), its host is unknown (NOT_FOUND), or its revision is above the head
 * (BAD_USER_INPUT); a refused report changes nothing. An accepted one is a heartbeat (the host's
 * last_heartbeat_at and safety state); with a revision, it moves the host's applied revision (never
 * backwards) and samples the changes it applied since the host's previous report: between two
 * reports of a running agent only, at most the latest 200 revisions, none across a compaction.
 */
import { type AgentReport, MAX_REPORTED_PASSES, type ReportedPass } from '../../../protocol/agent-report.ts';
import { badInput, DomainError, notFound } from '../../domain/errors.ts';

/** A report waiting for its group: the input, the token version it came with, when it arrived. */
export interface QueuedReport {
  input: AgentReport;
  /** The version of the agent token the report came with, when the caller did not check it itself. */
  tokenVersion?: number;
  now: number;
  /** The fleet's routine report budget (config `AGENT_REPORTS_PER_SECOND`), for the answer's pace. */
  reportsPerSecond?: number;
}

/** A host row as the group reads it. */
export interface ReportedHost {
  applied: number | null;
  /** The stored safety JSON (null: all clear). */
  safety: string | null;
  tokenVersion: number;
}

/** The brake a report engages: the host's safety had no brake before it. */
export type Brake = NonNullable<NonNullable<AgentReport['safety']>['brake']>;

export interface AcceptedReport {
  index: number;
  hostId: string;
  /** The revisions to sample, `from` < revision ≤ `to`; null: none. */
  sample: { from: number; to: number } | null;
  engaged: Brake | null;
}

/** The host row after the group: what one update statement writes. */
export interface HostUpdate {
  hostId: string;
  heartbeatAt: number;
  safety: string | null;
  applied: number | null;
}

export interface ReportPlan {
  /** Per report, in order: accepted, or the error its caller gets. */
  outcomes: ({ ok: true; accepted: AcceptedReport } | { ok: false; error: DomainError })[];
  updates: HostUpdate[];
}

/** The safety JSON a report stores (null when brake and fence are both clear). */
export function safetyJson(safety: AgentReport['safety']): string | null {
  return safety?.brake || safety?.fence ? JSON.stringify({ brake: safety.brake ?? null, fence: safety.fence ?? null }) : null;
}

/** The stored safety JSON, or null when all is clear. */
export function storedSafety(json: string | null): AgentReport['safety'] | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as AgentReport['safety'];
  } catch {
    return null;
  }
}

/** Reports deeper than this behind their revision sample only the latest ones. */
export const SAMPLE_WINDOW = 200;

export function planReports(reports: QueuedReport[], hosts: ReadonlyMap<string, ReportedHost>, feed: { head: number; compacted: number }): ReportPlan {
  const state = new Map<string, HostUpdate>();
  const outcomes: ReportPlan['outcomes'] = reports.map((r, index) => {
    const hostId = r.input.hostId;
    const host = hosts.get(hostId);
    if (r.tokenVersion !== undefined && host?.tokenVersion !== r.tokenVersion)
      return { ok: false, error: new DomainError('UNAUTHENTICATED', 'not authenticated: agent token was revoked or its host no longer exists') };
    if (!host) return { ok: false, error: notFound('host', hostId) };
    const revision = r.input.appliedRevision;
    // A revision above the head would leave the host "ahead" for good (pending -1, no more samples).
    if (revision != null && revision > feed.head)
      return {
        ok: false,
        error: badInput(`appliedRevision ${revision} is above the head revision ${feed.head}`, { field: 'appliedRevision', head: feed.head }),
      };
    const before = state.get(hostId) ?? { hostId, heartbeatAt: r.now, safety: host.safety, applied: host.applied };
    const safety = safetyJson(r.input.safety);
    const engaged = !storedSafety(before.safety)?.brake && r.input.safety?.brake ? r.input.safety.brake : null;
    let sample: AcceptedReport['sample'] = null;
    let applied = before.applied;
    if (revision != null) {
      const previous = before.applied ?? 0;
      const from = Math.max(previous, revision - SAMPLE_WINDOW);
      if (previous > 0 && revision > previous && from >= feed.compacted) sample = { from, to: revision };
      applied = Math.max(previous, revision);
    }
    state.set(hostId, { hostId, heartbeatAt: Math.max(before.heartbeatAt, r.now), safety, applied });
    return { ok: true, accepted: { index, hostId, sample, engaged } };
  });
  return { outcomes, updates: [...state.values()] };
}

/**
 * The report's passes, checked (protocol/agent-report.ts): only with a revision, at most
 * MAX_REPORTED_PASSES, revisions rising and none above the report's, no negative duration. Throws
 * BAD_USER_INPUT naming the field.
 */
export function checkPasses(input: Pick<AgentReport, 'appliedRevision' | 'passes'>): void {
  const passes = input.passes;
  if (!passes?.length) return;
  if (input.appliedRevision == null) throw badInput('passes come with an appliedRevision', { field: 'passes' });
  if (passes.length > MAX_REPORTED_PASSES) throw badInput(`at most ${MAX_REPORTED_PASSES} passes in a report`, { field: 'passes' });
  passes.forEach((p, i) => {
    if (p.agoMs < 0) throw badInput('agoMs must not be negative', { field: `passes.${i}.agoMs` });
    if (p.revision > input.appliedRevision!) throw badInput('a pass revision is above appliedRevision', { field: `passes.${i}.revision` });
    if (i > 0 && p.revision <= passes[i - 1].revision) throw badInput('pass revisions must rise', { field: `passes.${i}.revision` });
  });
}

/**
 * When the host applied `revision`, on the API's clock: the end of the first of the report's passes
 * that reached it (`now` is when the report arrived), or `now` when no pass says.
 */
export function appliedAt(passes: readonly ReportedPass[] | null | undefined, now: number, revision: number): number {
  const pass = passes?.find((p) => p.revision >= revision);
  return pass ? now - pass.agoMs : now;
}

/** Below this, a fleet is not paced: every pass is reported at once. */
export const MIN_REPORT_INTERVAL_MS = 100;
/** The longest pace: a host's applied revision as the API shows it is never older than this, plus a pass. */
export const MAX_REPORT_INTERVAL_MS = 10_000;

/**
 * How often, at most, each agent sends a routine pass report (protocol/agent-report.ts
 * REPORT_INTERVAL_HEADER), so that the whole fleet's routine reports stay near `reportsPerSecond`:
 * the UP hosts that have reported over that budget, in whole milliseconds, capped at
 * MAX_REPORT_INTERVAL_MS. Under MIN_REPORT_INTERVAL_MS, and with a budget of 0, it is 0: one
 * report per pass, as without pacing.
 */
export function reportIntervalMs(upHosts: number, reportsPerSecond: number): number {
  if (reportsPerSecond <= 0) return 0;
  const interval = Math.floor((upHosts * 1000) / reportsPerSecond);
  return interval < MIN_REPORT_INTERVAL_MS ? 0 : Math.min(interval, MAX_REPORT_INTERVAL_MS);
}

/** A change row as sampling reads it. */
export interface SampledChange {
  revision: number;
  networkId: string | null;
  hostId: string | null;
  createdAt: number;
}

/**
 * The changes of `rows` a report sampled: in its range, and for its host (the host's own rows, and
 * the network rows of the networks it is a member of: the feed's host scope, src/feed/read.ts).
 */
export function sampledChanges(accepted: AcceptedReport, members: ReadonlySet<string>, rows: readonly SampledChange[]): SampledChange[] {
  const range = accepted.sample;
  if (!range) return [];
  return rows.filter(
    (c) =>
      c.revision > range.from &&
      c.revision <= range.to &&
      (c.hostId === accepted.hostId || (c.hostId === null && c.networkId !== null && members.has(c.networkId))),
  );
}

/** The ranges of a group's samples, overlapping ones merged: what one read of the change table covers. */
export function mergedRanges(accepted: readonly AcceptedReport[]): { from: number; to: number }[] {
  const ranges = accepted.flatMap((a) => (a.sample ? [a.sample] : [])).sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const r of ranges) {
    const last = out.at(-1);
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}
