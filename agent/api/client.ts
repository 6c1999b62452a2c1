/**
 * The agent's client of the control API: GraphQL over HTTP for the snapshot and other reads, GraphQL
 * over SSE (graphql-sse) for the watch, and POST /agent/report for its status reports. The token travels only in the Authorization header.
 * It owns no state: the follower decides what to ask and when.
 */
import { createClient } from 'graphql-sse';
import type { HostConfig } from '../../protocol/model.ts';

export interface FeedEventMessage {
  type: 'CHANGE' | 'RESYNC' | 'CURSOR';
  revision: number;
  generation?: string; // the database generation of `revision` (architecture §8.3)
  change: { revision: number; kind: string; networkId: string | null; committedAt: string; payload: Record<string, unknown> } | null;
}

import { AGENT_REPORT_PATH, type AgentReport, type AgentReportError, REPORT_INTERVAL_HEADER } from '../../protocol/agent-report.ts';

export interface ApiClient {
  hostConfig(hostId: string): Promise<HostConfig>;
  /** Changes after `since`; `generation` is the database generation `since` belongs to. */
  watch(hostId: string, since: number, signal: AbortSignal, generation?: string): AsyncIterable<FeedEventMessage>;
  /** Resolves with the API's pace for routine pass reports (REPORT_INTERVAL_HEADER; 0 when it sends none). */
  report(status: AgentReport): Promise<{ reportIntervalMs: number }>;
  updateHost(input: { hostId: string; endpoint?: string; publicKey?: string }): Promise<void>;
  /** The API database's generation (unauthenticated, from /healthz). */
  generation(): Promise<string>;
  /** Drains a container of this host (it leaves DNS); idempotent. */
  drain(containerId: string): Promise<DrainState>;
  /** Where a drain stands: safeToStopAt is set once every member host applied it and the DNS TTL passed. */
  drainStatus(containerId: string): Promise<DrainState>;
  /** Whether the other hosts' policy sets hold a new container of this host yet (docs/policies.md#a-new-container). */
  policySources(containerId: string): Promise<PolicySources>;
}

/** containerPolicySources as the agent reads it. */
export interface PolicySources {
  ready: boolean;
  pendingHosts: string[];
}

/** A drain as the API reports it (times ISO 8601). */
export interface DrainState {
  containerId: string;
  revision: number | null;
  ttlExpiresAt: string | null;
  safeToStopAt: string | null;
  pendingHosts: string[];
}

const DRAIN_FIELDS = 'containerId revision ttlExpiresAt safeToStopAt pendingHosts';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    /** The input field a BAD_USER_INPUT names (the report route's refusals). */
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * The agent's watch. The stream is opened with the generation its revision belongs to, so the API
 * answers RESYNC at once on another database and no event needs to carry it; a change's revision is
 * the event's. Payloads come compact (protocol/compact.ts). Exported for the bench's consumers.
 */
export const WATCH = `subscription($h: ID!, $s: Int!, $g: String) { hostChanges(hostId: $h, since: $s, generation: $g) { type revision change { kind networkId committedAt payload } } }`;

/** One GraphQL request over HTTP with a bearer token and a timeout; GraphQL errors become ApiError. */
export async function graphqlCall<T>(apiUrl: string, token: string, query: string, variables: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
  const url = `${apiUrl.replace(/\/$/, '')}/graphql`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length) throw new ApiError(body.errors[0].message, body.errors[0].extensions?.code);
  if (!response.ok || !body.data) throw new ApiError(`HTTP ${response.status} from ${url}`);
  return body.data;
}

/** A client for `apiUrl` (the API's base URL, e.g. http://10.0.0.1:4000) with a bearer token. */
export function createApiClient(apiUrl: string, token: string, timeoutMs = 10_000): ApiClient {
  const base = apiUrl.replace(/\/$/, '');
  const url = `${base}/graphql`;
  const reportUrl = `${base}${AGENT_REPORT_PATH}`;
  const headers = { authorization: `Bearer ${token}` };
  const call = <T>(query: string, variables: Record<string, unknown>) => graphqlCall<T>(apiUrl, token, query, variables, timeoutMs);
  const sse = createClient({ url, headers: () => ({ authorization: headers.authorization }), retryAttempts: 0 });
  let passesRefused = false;
  return {
    async hostConfig(hostId) {
      const data = await call<{ hostConfig: { config: HostConfig } }>(`query($h: ID!) { hostConfig(hostId: $h) { revision config } }`, { h: hostId });
      return data.hostConfig.config;
    },
    watch(hostId, since, signal, generation) {
      return {
        async *[Symbol.asyncIterator]() {
          const iterator = sse.iterate<{ hostChanges: FeedEventMessage }>({ query: WATCH, variables: { h: hostId, s: since, g: generation ?? null } });
          const onAbort = () => void iterator.return?.();
          signal.addEventListener('abort', onAbort, { once: true });
          try {
            for await (const message of iterator) {
              if (message.errors?.length)
                throw new ApiError(message.errors[0].message, (message.errors[0] as { extensions?: { code?: string } }).extensions?.code);
              const event = message.data?.hostChanges;
              if (event) yield event.change ? { ...event, change: { ...event.change, revision: event.revision } } : event;
            }
          } finally {
            signal.removeEventListener('abort', onAbort);
          }
        },
      };
    },
    async report(status) {
      // The report route, not the reportHostStatus mutation: the same input and checks without GraphQL's cost (protocol/agent-report.ts).
      const post = async (body: AgentReport): Promise<{ reportIntervalMs: number }> => {
        const response = await fetch(reportUrl, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.ok) {
          await response.body?.cancel();
          const pace = Number(response.headers.get(REPORT_INTERVAL_HEADER));
          return { reportIntervalMs: Number.isFinite(pace) && pace > 0 ? pace : 0 };
        }
        const answer = (await response.json().catch(() => ({}))) as Partial<AgentReportError>;
        const error = answer.errors?.[0];
        throw new ApiError(error?.message ?? `HTTP ${response.status} from ${reportUrl}`, error?.extensions?.code, error?.extensions?.field);
      };
      const { passes, ...rest } = status;
      if (!passes || passesRefused) return post(rest);
      try {
        return await post(status);
      } catch (e) {
        // An API older than `passes` refuses the field: report without it, now and from then on.
        if (!(e instanceof ApiError && e.field === 'passes' && e.message.startsWith('unknown field'))) throw e;
        passesRefused = true;
        return post(rest);
      }
    },
    async generation() {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await response.json().catch(() => ({}))) as { generation?: string };
      if (!body.generation) throw new ApiError(`no generation in /healthz (HTTP ${response.status})`);
      return body.generation;
    },
    async drain(containerId) {
      const data = await call<{ drainContainer: { drain: DrainState } }>(`mutation($id: ID!) { drainContainer(id: $id) { drain { ${DRAIN_FIELDS} } } }`, {
        id: containerId,
      });
      return data.drainContainer.drain;
    },
    async drainStatus(containerId) {
      const data = await call<{ drainStatus: DrainState }>(`query($id: ID!) { drainStatus(containerId: $id) { ${DRAIN_FIELDS} } }`, { id: containerId });
      return data.drainStatus;
    },
    async policySources(containerId) {
      const data = await call<{ containerPolicySources: PolicySources }>(
        `query($id: ID!) { containerPolicySources(containerId: $id) { ready pendingHosts } }`,
        { id: containerId },
      );
      return data.containerPolicySources;
    },
    async updateHost(input) {
      await call(`mutation($i: UpdateHostInput!) { updateHost(input: $i) { revision } }`, { i: input });
    },
  };
}
