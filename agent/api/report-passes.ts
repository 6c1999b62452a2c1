/**
 * The passes the agent has not reported yet (protocol/agent-report.ts `passes`): the revision each
 * applied and when it ended on this process's monotonic clock (`performance.now()`). A report sends
 * them as durations, so the API dates each change's commit → applied sample by the pass that applied
 * it, whatever the host's wall clock says and however long the report took to arrive. Pure.
 */
import { MAX_REPORTED_PASSES, type ReportedPass } from '../../protocol/agent-report.ts';

export interface EndedPass {
  revision: number;
  endedAt: number;
}

/**
 * The log after a pass that applied `revision` ended at `endedAt`. A pass at the newest logged
 * revision adds nothing (the earlier one applied it); a lower revision (another database, once the
 * fence was lifted) starts the log again; the newest MAX_REPORTED_PASSES stay.
 */
export function notePass(log: readonly EndedPass[], revision: number, endedAt: number): readonly EndedPass[] {
  const last = log.at(-1);
  if (last && revision === last.revision) return log;
  if (last && revision < last.revision) return [{ revision, endedAt }];
  return [...log, { revision, endedAt }].slice(-MAX_REPORTED_PASSES);
}

/** The log's passes as a report sent at `now` carries them. */
export function passesAt(log: readonly EndedPass[], now: number): ReportedPass[] {
  return log.map((p) => ({ revision: p.revision, agoMs: Math.max(0, Math.round(now - p.endedAt)) }));
}

/** The log once the API accepted a report whose passes went up to `revision`. */
export function afterReported(log: readonly EndedPass[], revision: number): readonly EndedPass[] {
  return log.filter((p) => p.revision > revision);
}
