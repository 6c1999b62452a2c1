/**
 * The agent's report route (issue 17, docs/control-api.md#agent-reports): `POST /agent/report`, the
 * `reportHostStatus` mutation without GraphQL. Agents report after every reconcile pass and on every
 * heartbeat, so at a thousand hosts reports are most of the API's requests; GraphQL's parse,
 * validation and execution were over half of each one's CPU. The input, its checks, the
 * authorization (only the host's own agent, as `agentOf`), the service and the coded errors are the
 * mutation's; the answer is 204 with no body. Runs on Node and Workers alike.
 */
import type { Context } from 'hono';
import { type AgentReportError, parseAgentReport, REPORT_INTERVAL_HEADER } from '../protocol/agent-report.ts';
import type { Actor } from './auth/actor.ts';
import { DomainError, type ErrorCode } from './domain/errors.ts';
import { reportHostStatus } from './services/hosts/report.ts';
import type { ServiceContext } from './services/context.ts';
import type { Logger } from './telemetry.ts';

const STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NETWORK_FULL: 409,
  POLICY_TEST_FAILED: 409,
};

/** What the route answers: 204 with no body, or a status with the coded error. */
export interface AgentReportAnswer {
  status: 204 | 400 | 401 | 403 | 404 | 409 | 413 | 500;
  body: AgentReportError | null;
  /** An accepted report's pace for the agent's routine reports, sent as REPORT_INTERVAL_HEADER. */
  reportIntervalMs?: number;
}

const refusal = (code: ErrorCode, message: string, details: Record<string, unknown> = {}): AgentReportAnswer => ({
  status: STATUS[code] as AgentReportAnswer['status'],
  body: { errors: [{ message, extensions: { code, ...details } }] },
});

/**
 * The level of a report's access-log line: `debug` for an accepted one, `info` for a refusal. At a
 * thousand hosts agents send over a thousand reports a second, one after every pass: at `info` they
 * would be nearly every line of the log. `weft_http_requests_total` still counts each by status.
 */
export const reportLogLevel = (status: number): 'debug' | 'info' => (status === 204 ? 'debug' : 'info');

/** The answer to an error that is not the caller's (it is logged, never shown). */
export const unexpectedError: AgentReportError = { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };

/** The refusal of a body over `maxBytes`, on every path that reads one (the same as /graphql's). */
export const bodyTooLarge = (maxBytes: number): AgentReportError => ({
  errors: [{ message: `request body larger than ${maxBytes} bytes`, extensions: { code: 'BAD_USER_INPUT' } }],
});

export interface AgentReportDeps {
  actorOf: (authorization: string | undefined) => Promise<Actor>;
  services: ServiceContext;
  log: Logger;
}

/**
 * Answers one report, whatever carried it: the Hono route below (Workers, and Node's tests through
 * `app.fetch`) or Node's own listener (src/node/agent-report-listener.ts), which skips the Request
 * and Response objects. `readBody` is called after the token is checked, and throws on bad JSON.
 */
export async function answerAgentReport(
  deps: AgentReportDeps,
  authorization: string | undefined,
  readBody: () => Promise<unknown>,
  reqId: string,
): Promise<AgentReportAnswer> {
  const actor = await deps.actorOf(authorization);
  if (actor.kind === 'anonymous')
    return refusal('UNAUTHENTICATED', actor.reason ? `not authenticated: ${actor.reason}` : 'not authenticated: send Authorization: Bearer <token>');
  let body: unknown;
  try {
    body = await readBody();
  } catch {
    return refusal('BAD_USER_INPUT', 'the body must be a JSON object (content-type: application/json)');
  }
  const parsed = parseAgentReport(body);
  if ('refused' in parsed) return refusal('BAD_USER_INPUT', parsed.refused.message, { field: parsed.refused.field });
  // The mutation's `agentOf(hostId)`: only the host's own agent reports for it.
  if (actor.kind !== 'agent' || actor.hostId !== parsed.report.hostId) return refusal('FORBIDDEN', 'not allowed for this actor');
  try {
    // The actor's token version was not read (revocation: 'caller'): the service checks it in its write.
    const { result } = await reportHostStatus(deps.services, parsed.report, { tokenVersion: actor.ver });
    return { status: 204, body: null, reportIntervalMs: result.reportIntervalMs };
  } catch (error) {
    if (error instanceof DomainError) return refusal(error.code, error.message, error.details);
    deps.log.error({ reqId, err: error }, 'agent report failed');
    return { status: 500, body: unexpectedError };
  }
}

/** The route's Hono handler, given how a request's actor is resolved and the services. */
export function agentReportHandler(deps: AgentReportDeps) {
  return async (c: Context) => {
    const answer = await answerAgentReport(deps, c.req.header('authorization'), () => c.req.json(), c.get('requestId' as never));
    if (answer.body) return c.json(answer.body, answer.status as 400);
    return c.body(null, 204, { [REPORT_INTERVAL_HEADER]: String(answer.reportIntervalMs ?? 0) });
  };
}
