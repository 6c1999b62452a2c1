/**
 * The agent's status report over its own route (issue 17, docs/control-api.md#agent-reports): the
 * same input as the `reportHostStatus` mutation, POSTed as JSON to `AGENT_REPORT_PATH` with the
 * agent's bearer token, without GraphQL's parse, validation and execution. The agent sends it
 * (agent/api/client.ts); the API checks it with `parseAgentReport` and stores it with the service
 * the mutation uses (src/agent-report.ts). Runtime-neutral.
 *
 *   POST /agent/report  {"hostId":"host-…","appliedRevision":42,"applyMs":3,"passes":[{"revision":42,"agoMs":1}]}
 *   → 204 No Content
 *   → 4xx {"errors":[{"message":"…","extensions":{"code":"BAD_USER_INPUT","field":"appliedRevision"}}]}
 */
import type { PolicyCounterReport } from './policy/counters.ts';

export const AGENT_REPORT_PATH = '/agent/report';

/**
 * The header of an accepted report (204) that paces the agent's routine pass reports: at most one
 * per this many milliseconds; 0 or absent, one after every pass. A pass whose change the API waits
 * for (agent/api/report-pacing.ts) is reported at once whatever it says.
 */
export const REPORT_INTERVAL_HEADER = 'weft-report-interval-ms';

/** What an agent reports: the fields of GraphQL's ReportHostStatusInput, with the same types. */
export interface AgentReport {
  hostId: string;
  /** Absent while fenced: a revision of another database means nothing to this one. */
  appliedRevision?: number | null;
  applyMs?: number | null;
  /**
   * The passes this report covers, oldest first: the revision each applied, and how long before the
   * report was sent it ended (the agent's clock; a duration, so the two clocks need not agree). The
   * API dates each sampled change by the first pass that reached its revision, so commit → applied
   * does not count the report's own way to the API. At most `MAX_REPORTED_PASSES`, revisions rising,
   * none above `appliedRevision` (the service refuses the rest with BAD_USER_INPUT).
   */
  passes?: ReportedPass[] | null;
  networks?: { networkId: string; healthy: boolean; message?: string | null }[] | null;
  /** The brake and fence state (null or absent: all clear); see agent/safety/gate.ts. */
  safety?: AgentSafetyReport | null;
  /** The policy tables' counters per network (agent/metrics/policy-counters.ts). */
  policyCounters?: PolicyCounterReport[] | null;
}

/** A reconcile pass in a report: the revision it applied, ended `agoMs` before the report was sent. */
export interface ReportedPass {
  revision: number;
  agoMs: number;
}

/** The most passes one report carries: an agent with more since its last report keeps the newest. */
export const MAX_REPORTED_PASSES = 32;

/** The agent's safety state as the API stores it (times as ISO strings). */
export interface AgentSafetyReport {
  brake?: { since: string; objectsHeld: number; hostObjects: number; nearEmpty: boolean; reason: string } | null;
  fence?: { reason: string; trustedGeneration: string; trustedRevision: number; seenGeneration: string; seenRevision: number; since: string } | null;
}

/** The error body of the route: the shape of a GraphQL error, so a client reads one shape. */
export interface AgentReportError {
  errors: { message: string; extensions: { code: string; field?: string; [detail: string]: unknown } }[];
}

/** Why a report body is refused: a message and the field (a dotted path) it names. */
export interface ReportRefusal {
  message: string;
  field: string;
}

export type Kind = 'id' | 'int' | 'float' | 'boolean' | 'string';
const INT_MAX = 2 ** 31 - 1; // GraphQL's Int: a signed 32-bit integer

/** Whether `v` is a value of `kind` as GraphQL coerces input (an ID is a string or an integer). */
function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'id':
      return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= -INT_MAX - 1 && v <= INT_MAX;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
  }
}

/** A report field's type: a scalar, a nested input, or a list of one; `required` as GraphQL's `!`. */
export type Shape = { [field: string]: { kind: Kind | Shape | [Shape]; required?: boolean } };

const NETWORK: Shape = { networkId: { kind: 'id', required: true }, healthy: { kind: 'boolean', required: true }, message: { kind: 'string' } };
const PASS: Shape = { revision: { kind: 'int', required: true }, agoMs: { kind: 'int', required: true } };
const BRAKE: Shape = {
  since: { kind: 'string', required: true },
  objectsHeld: { kind: 'int', required: true },
  hostObjects: { kind: 'int', required: true },
  nearEmpty: { kind: 'boolean', required: true },
  reason: { kind: 'string', required: true },
};
const FENCE: Shape = {
  reason: { kind: 'string', required: true },
  trustedGeneration: { kind: 'string', required: true },
  trustedRevision: { kind: 'int', required: true },
  seenGeneration: { kind: 'string', required: true },
  seenRevision: { kind: 'int', required: true },
  since: { kind: 'string', required: true },
};
const COUNTER: Shape = { counter: { kind: 'string', required: true }, packets: { kind: 'float', required: true }, bytes: { kind: 'float', required: true } };
const COUNTERS: Shape = { networkId: { kind: 'id', required: true }, version: { kind: 'int', required: true }, counters: { kind: [COUNTER], required: true } };
/** ReportHostStatusInput as the route checks it; test/api/agent-report-shape.test.ts holds it to the GraphQL schema. */
export const REPORT: Shape = {
  hostId: { kind: 'id', required: true },
  appliedRevision: { kind: 'int' },
  applyMs: { kind: 'int' },
  passes: { kind: [PASS] },
  networks: { kind: [NETWORK] },
  safety: { kind: { brake: { kind: BRAKE }, fence: { kind: FENCE } } },
  policyCounters: { kind: [COUNTERS] },
};

/** The refusal for `value` against `shape` at `path`, or null; IDs come back as strings in `out`. */
function check(shape: Shape, value: unknown, path: string, out: Record<string, unknown>): ReportRefusal | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { message: `${path || 'the report'} must be an object`, field: path };
  for (const key of Object.keys(value))
    if (!Object.hasOwn(shape, key)) return { message: `unknown field ${path ? `${path}.` : ''}${key}`, field: join(path, key) };
  for (const [key, spec] of Object.entries(shape)) {
    const v = (value as Record<string, unknown>)[key];
    const at = join(path, key);
    if (v === undefined || v === null) {
      if (spec.required) return { message: `${at} is required`, field: at };
      if (v === null) out[key] = null;
      continue;
    }
    const refused = checkValue(spec.kind, v, at, (x) => (out[key] = x));
    if (refused) return refused;
  }
  return null;
}

function checkValue(kind: Kind | Shape | [Shape], v: unknown, at: string, set: (x: unknown) => void): ReportRefusal | null {
  if (Array.isArray(kind)) {
    if (!Array.isArray(v)) return { message: `${at} must be a list`, field: at };
    const items: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      const item: Record<string, unknown> = {};
      const refused = check(kind[0], v[i], `${at}.${i}`, item);
      if (refused) return refused;
      items.push(item);
    }
    set(items);
    return null;
  }
  if (typeof kind === 'object') {
    const inner: Record<string, unknown> = {};
    const refused = check(kind, v, at, inner);
    if (!refused) set(inner);
    return refused;
  }
  if (!fits(kind, v)) return { message: `${at} must be ${kind === 'int' ? 'a 32-bit integer' : kind === 'id' ? 'an ID' : `a ${kind}`}`, field: at };
  set(kind === 'id' ? String(v) : v);
  return null;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Checks a parsed JSON body as GraphQL checks ReportHostStatusInput (the same fields, required
 * fields and scalar types; no unknown fields) and returns the report with IDs as strings, or why
 * it is refused. What the types cannot say (a revision above the head, a negative one) the service
 * checks, for both ways in.
 */
export function parseAgentReport(body: unknown): { report: AgentReport } | { refused: ReportRefusal } {
  const out: Record<string, unknown> = {};
  const refused = check(REPORT, body, '', out);
  return refused ? { refused } : { report: out as unknown as AgentReport };
}
