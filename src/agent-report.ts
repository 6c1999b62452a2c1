/**
 * The agent's report route (issue 17, docs/control-api.md#agent-reports): `POST /agent/report`, the
 * `reportHostStatus` mutation without GraphQL. Agents report after every reconcile pass and on every
 * heartbeat, so at a thousand hosts reports are most of the API's requests; GraphQL's parse,
 * validation and execution were over half of each one's CPU. The input, its checks, the
 * authorization (only the host's own agent, as `agentOf`), the service and the coded errors are the
 * mutation's; the answer is 204 with no body. Runs on Node and Workers alike.
 */
import type { Context } from 'hono';
import { type AgentReportError, parseAgentReport } from '../protocol/agent-report.ts';
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

const refusal = (c: Context, code: ErrorCode, message: string, details: Record<string, unknown> = {}) =>
  c.json({ errors: [{ message, extensions: { code, ...details } }] } satisfies AgentReportError, STATUS[code] as 400);

/** The handler, given how a request's actor is resolved and the services. */
export function agentReportHandler(deps: { actorOf: (authorization: string | undefined) => Promise<Actor>; services: ServiceContext; log: Logger }) {
  return async (c: Context) => {
    const actor = await deps.actorOf(c.req.header('authorization'));
    if (actor.kind === 'anonymous')
      return refusal(c, 'UNAUTHENTICATED', actor.reason ? `not authenticated: ${actor.reason}` : 'not authenticated: send Authorization: Bearer <token>');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return refusal(c, 'BAD_USER_INPUT', 'the body must be a JSON object (content-type: application/json)');
    }
    const parsed = parseAgentReport(body);
    if ('refused' in parsed) return refusal(c, 'BAD_USER_INPUT', parsed.refused.message, { field: parsed.refused.field });
    // The mutation's `agentOf(hostId)`: only the host's own agent reports for it.
    if (actor.kind !== 'agent' || actor.hostId !== parsed.report.hostId) return refusal(c, 'FORBIDDEN', 'not allowed for this actor');
    try {
      // The actor's token version was not read (revocation: 'caller'): the service checks it in its write.
      await reportHostStatus(deps.services, parsed.report, { tokenVersion: actor.ver });
    } catch (error) {
      if (error instanceof DomainError) return refusal(c, error.code, error.message, error.details);
      deps.log.error({ reqId: c.get('requestId' as never), err: error }, 'agent report failed');
      return c.json({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } satisfies AgentReportError, 500);
    }
    return c.body(null, 204);
  };
}
