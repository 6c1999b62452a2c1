/**
 * Node's own listener for `POST /agent/report` (issue 17; docs/control-api.md#agent-reports). At a
 * thousand hosts, agents' reports are most of the API's requests, and through Hono each one cost
 * about 0.4 ms of the API's one core before any work was done: @hono/node-server builds a web
 * Request and a body stream for it, and a Response to answer 204. This listener answers the same
 * reports with the same core (src/agent-report.ts `answerAgentReport`: token, body checks,
 * authorization, coded errors) straight from Node's request and response, and keeps what the Hono
 * middleware gives every request: the X-Request-Id (the client's when it is a valid one), the
 * Server-Timing header, the access-log line (at the level of src/agent-report.ts `reportLogLevel`)
 * and the request metric, the refusal of a body over MAX_BODY_BYTES with 413 after reading it away
 * (./drain.ts). Any other request, and this path with another method or a query string, goes to
 * Hono.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AGENT_REPORT_PATH, REPORT_INTERVAL_HEADER } from '../../protocol/agent-report.ts';
import { type AgentReportAnswer, type AgentReportDeps, answerAgentReport, bodyTooLarge, reportLogLevel, unexpectedError } from '../agent-report.ts';
import type { Telemetry } from '../telemetry.ts';
import { drainRefusedBody } from './drain.ts';

export interface ReportListenerDeps {
  /** The route's core and its logger (the access log goes there too). */
  reports: AgentReportDeps;
  maxBodyBytes: number;
  telemetry: Telemetry;
  withRequestId: <T>(requestId: string, fn: () => T) => T;
}

/** Hono's requestId middleware's rule for a client's X-Request-Id. */
const validRequestId = (id: string | string[] | undefined): id is string => typeof id === 'string' && id.length <= 255 && !/[^\w\-=]/.test(id);

/** Returns true when it took the request (it answers it), false to leave it to the next listener. */
export function agentReportListener(deps: ReportListenerDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== AGENT_REPORT_PATH) return false;
    const t0 = performance.now();
    const reqId = validRequestId(req.headers['x-request-id']) ? req.headers['x-request-id'] : randomUUID();
    const answer = ({ status, body, reportIntervalMs }: AgentReportAnswer) => {
      const ms = performance.now() - t0;
      const headers: Record<string, string> = { 'x-request-id': reqId, 'server-timing': `total;dur=${ms.toFixed(1)};desc="server"` };
      if (body) headers['content-type'] = 'application/json';
      if (reportIntervalMs !== undefined) headers[REPORT_INTERVAL_HEADER] = String(reportIntervalMs);
      res.writeHead(status, headers);
      res.end(body ? JSON.stringify(body) : undefined);
      deps.telemetry.httpRequest(AGENT_REPORT_PATH, 'POST', status, ms / 1000);
      deps.reports.log[reportLogLevel(status)]({ reqId, method: 'POST', path: AGENT_REPORT_PATH, status, ms: Math.round(ms * 10) / 10 }, 'request');
    };
    const tooLarge = () => void drainRefusedBody({ incoming: req }).then(() => answer({ status: 413, body: bodyTooLarge(deps.maxBodyBytes) }));
    if (Number(req.headers['content-length']) > deps.maxBodyBytes) {
      tooLarge();
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= deps.maxBodyBytes) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd);
      tooLarge(); // a chunked body that grew past the limit
    };
    const onEnd = () => {
      const body = async (): Promise<unknown> => JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      deps
        .withRequestId(reqId, () => answerAgentReport(deps.reports, req.headers.authorization, body, reqId))
        .then(answer, (error: unknown) => {
          deps.reports.log.error({ reqId, err: error }, 'agent report failed');
          answer({ status: 500, body: unexpectedError });
        });
    };
    req
      .on('data', onData)
      .on('end', onEnd)
      .on('error', () => {}); // a client gone mid-body gets no answer
    return true;
  };
}
