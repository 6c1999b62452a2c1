/**
 * One raw simulated host for the scale bench: the agent's list-then-watch without the agent. It
 * lists `hostConfig`, opens the same GraphQL-over-SSE request the agent's client makes (WATCH
 * below, POST with `accept: text/event-stream`, as graphql-sse sends it), cuts the body into frames
 * itself (bench/sse-frames.ts) and applies each change with the agent's real delta parser
 * (agent/api/apply-delta.ts `applyChange`). There is no kernel, no reconciler and no loop: a change
 * counts as applied when the model has taken it. Like the agent, it lists again on RESYNC, on a
 * new database generation and when a delta asks for it, reconnects from its revision, and reports
 * its applied revision `reportDebounceMs` after the model moved, one report in flight, paced by the
 * API as the agent is (agent/api/report-pacing.ts `passReporter`: a change the API waits for goes at
 * once, any other no sooner than the API's pace; the scale bench passes 50 ms, where the agent
 * reports right after each pass since WEFT_DEBOUNCE_MS defaults to 0, so the bench coalesces a
 * little more than an agent would), with the body the agent sends (every network's health, the
 * passes, the safety state) and by the agent's way: POST /agent/report (protocol/agent-report.ts),
 * or the `reportHostStatus` mutation for a baseline API from before that route. Everything is
 * callbacks on node:http, so 1,000 of them cost little CPU.
 */
import { type Agent, request } from 'node:http';
import { applyChange } from '../agent/api/apply-delta.ts';
import { WATCH } from '../agent/api/client.ts';
import { AGENT_REPORT_PATH, type AgentReport, REPORT_INTERVAL_HEADER } from '../protocol/agent-report.ts';
import { afterReported, type EndedPass, notePass, passesAt } from '../agent/api/report-passes.ts';
import { awaitedChange, passReporter } from '../agent/api/report-pacing.ts';
import type { HostConfig } from '../protocol/model.ts';
import { type Classified, classifyFrame, count, SseSplitter, type Tally } from './sse-frames.ts';

/**
 * The agent's watch query before the compact host feed (f4a352f and earlier: no `generation`
 * argument, every event carrying the generation, full payloads), for a baseline API.
 */
export const LEGACY_WATCH = `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type revision generation change { revision kind networkId committedAt payload } } }`;
const SNAPSHOT = `query($h: ID!) { hostConfig(hostId: $h) { revision config } }`;
const REPORT = `mutation($i: ReportHostStatusInput!) { reportHostStatus(input: $i) { hostId } }`;

/** What the consumers of one process count, and hand over at each reading. */
export interface Reading {
  tally: Tally;
  /** Commit time (epoch ms) and commit→applied (ms) of every change applied, in pairs. */
  samples: number[];
  changes: number;
  lists: number;
  reconnects: number;
  reports: number;
  errors: string[];
}

/** What all consumers of one process add to. */
export interface ConsumerShared extends Reading {
  url: URL;
  agent: Agent;
  reportDebounceMs: number;
  heartbeatMs: number;
  /** Watch with LEGACY_WATCH: an API from before the compact host feed (a baseline). */
  legacyWatch?: boolean;
  /** Report with POST /agent/report, as the agent does; false: the mutation (a baseline from before the route). */
  reportRoute?: boolean;
  /** Send the passes that date each change, as the agent does; false: an API from before them (a baseline). */
  reportPasses?: boolean;
}

/**
 * POSTs `payload` as JSON to `url` and resolves with the status and body. A request sent on a
 * kept-alive socket that the server closed meanwhile is sent once more (Node's documented race).
 */
function postJson(shared: ConsumerShared, url: URL, token: string, payload: unknown, retry = true): Promise<{ status: number; text: string; pace: number }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(payload);
    const req = request(
      url,
      {
        method: 'POST',
        agent: shared.agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8'), pace: Number(res.headers[REPORT_INTERVAL_HEADER] ?? 0) || 0 }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (retry && req.reusedSocket && error.code === 'ECONNRESET') postJson(shared, url, token, payload, false).then(resolve, reject);
      else reject(error);
    });
    req.end(body);
  });
}

const firstError = (text: string, status: number) => (JSON.parse(text || '{}') as { errors?: { message: string }[] }).errors?.[0]?.message ?? `HTTP ${status}`;

/** One GraphQL request: resolves with `data`; GraphQL errors reject. */
async function post<T>(shared: ConsumerShared, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const { status, text } = await postJson(shared, shared.url, token, { query, variables });
  const json = JSON.parse(text) as { data?: T; errors?: unknown[] };
  if (json.errors?.length || !json.data) throw new Error(firstError(text, status));
  return json.data;
}

/** One report on the agent report route: the API's pace on 204 (0: none); the coded error otherwise. */
async function postReport(shared: ConsumerShared, token: string, report: AgentReport): Promise<number> {
  const { status, text, pace } = await postJson(shared, new URL(AGENT_REPORT_PATH, shared.url), token, report);
  if (status !== 204) throw new Error(firstError(text, status));
  return pace;
}

const note = (shared: ConsumerShared, line: string) => shared.errors.length < 20 && shared.errors.push(line);

/** Starts following `hostId`; `onReady` once its first stream answered. Returns stop(). */
export function startConsumer(shared: ConsumerShared, hostId: string, token: string, onReady: () => void): () => void {
  let model: HostConfig | null = null;
  let stopped = false;
  let ready = false;
  let current: ReturnType<typeof request> | null = null;
  let attempt = 0;
  // reports: as the agent sends them (agent/api/report-pacing.ts `passReporter`), `reportDebounceMs`
  // after the model moved (the consumer's stand-in for a pass), one in flight, paced by the API
  let reporting = false;
  let pace = 0;
  let unreported: readonly EndedPass[] = []; // each applied delta is a pass (agent/api/report-passes.ts)

  const sendReport = async (withRevision: boolean) => {
    if (process.env.BENCH_NO_REPORT || !model) return;
    reporting = true;
    // What the agent sends (agent/agent.ts heartbeat): after a pass the revision and every network's
    // health, and always its safety state; a plain heartbeat neither revision nor health.
    const safety = { brake: null, fence: null };
    const passes = withRevision && shared.reportPasses && unreported.length ? passesAt(unreported, performance.now()) : null;
    const input: AgentReport = withRevision
      ? {
          hostId,
          appliedRevision: model.revision,
          applyMs: 0,
          ...(passes ? { passes } : {}),
          networks: model.networks.map((n) => ({ networkId: n.id, healthy: true })),
          safety,
        }
      : { hostId, safety };
    try {
      if (shared.reportRoute) pace = await postReport(shared, token, input);
      else await post(shared, token, REPORT, { i: input });
      shared.reports++;
      if (passes) unreported = afterReported(unreported, passes.at(-1)!.revision);
    } catch (error) {
      note(shared, `report: ${(error as Error).message}`);
    }
    reporting = false;
  };
  const passReports = passReporter({ send: () => sendReport(true), paceMs: () => pace, holdMs: shared.reportDebounceMs });
  const heartbeat = shared.heartbeatMs > 0 ? setInterval(() => !reporting && void sendReport(false), shared.heartbeatMs) : null;

  const reconnect = (why: string | null, list: boolean) => {
    current?.destroy();
    current = null;
    if (stopped) return;
    if (list) model = null;
    if (why) {
      shared.reconnects++;
      note(shared, `${hostId}: ${why}`);
    }
    const delay = why ? Math.min(10_000, 200 * 2 ** Math.min(attempt++, 10)) * (0.5 + Math.random()) : 0;
    setTimeout(() => void connect(), delay);
  };

  const onFrame = ({ key, event, error }: Classified) => {
    if (!ready && key === 'keepalive') {
      ready = true;
      onReady();
    }
    if (error) return reconnect(`stream error: ${error}`, false);
    if (!event || !model) return;
    attempt = 0;
    if (event.type === 'RESYNC') return reconnect(null, true);
    if (event.generation && event.generation !== model.generation) return reconnect(null, true);
    if (event.type === 'CURSOR') {
      if (event.revision > model.revision) model = { ...model, revision: event.revision };
      return;
    }
    // The agent's client gives a change the event's revision (agent/api/client.ts).
    const change = event.change && { ...event.change, revision: event.change.revision ?? event.revision };
    if (!change || change.revision <= model.revision) return;
    const result = applyChange(model, change);
    if (result.kind === 'relist') return reconnect(null, true);
    const before = model;
    model = result.config;
    const committed = Date.parse(change.committedAt);
    shared.samples.push(committed, Date.now() - committed);
    shared.changes++;
    unreported = notePass(unreported, model.revision, performance.now());
    passReports.pass(awaitedChange(before, model));
  };

  const connect = async () => {
    if (stopped) return;
    if (!model) {
      try {
        model = (await post<{ hostConfig: { config: HostConfig } }>(shared, token, SNAPSHOT, { h: hostId })).hostConfig.config;
        shared.lists++;
        passReports.pass(true);
      } catch (error) {
        return reconnect(`list: ${(error as Error).message}`, true);
      }
    }
    const body = JSON.stringify(
      shared.legacyWatch
        ? { query: LEGACY_WATCH, variables: { h: hostId, s: model.revision } }
        : { query: WATCH, variables: { h: hostId, s: model.revision, g: model.generation ?? null } },
    );
    const splitter = new SseSplitter();
    const req = request(
      shared.url,
      {
        method: 'POST',
        agent: shared.agent,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'text/event-stream',
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reconnect(`watch: HTTP ${res.statusCode}`, res.statusCode === 401);
        }
        res.on('data', (chunk: Buffer) => {
          for (const frame of splitter.push(chunk)) {
            const classified = classifyFrame(frame);
            count(shared.tally, classified.key, frame.bytes);
            if (req !== current) return; // this stream was abandoned for a list or a reconnect
            onFrame(classified);
          }
        });
        res.on('end', () => req === current && reconnect('stream ended', false));
        res.on('error', (e) => req === current && reconnect(`stream: ${e.message}`, false));
      },
    );
    current = req;
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (req !== current) return;
      if (req.reusedSocket && e.code === 'ECONNRESET')
        reconnect(null, false); // the server closed the idle socket as it was reused
      else reconnect(`watch: ${e.message}`, false);
    });
    req.end(body);
  };

  void connect();
  return () => {
    stopped = true;
    passReports.stop();
    if (heartbeat) clearInterval(heartbeat);
    current?.destroy();
  };
}
