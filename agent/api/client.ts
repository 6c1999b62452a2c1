/**
 * The agent's client of the control API: GraphQL over HTTP for the snapshot and reports, GraphQL
 * over SSE (graphql-sse) for the watch. The token travels only in the Authorization header.
 * It owns no state: the follower decides what to ask and when.
 */
import { createClient } from 'graphql-sse';
import type { HostConfig } from '../../protocol/model.ts';

export interface FeedEventMessage {
  type: 'CHANGE' | 'RESYNC' | 'CURSOR';
  revision: number;
  change: { revision: number; kind: string; networkId: string | null; committedAt: string; payload: Record<string, unknown> } | null;
}

export interface HostStatusReport {
  hostId: string;
  appliedRevision: number;
  applyMs?: number;
  networks?: { networkId: string; healthy: boolean; message?: string }[];
}

export interface ApiClient {
  hostConfig(hostId: string): Promise<HostConfig>;
  watch(hostId: string, since: number, signal: AbortSignal): AsyncIterable<FeedEventMessage>;
  report(status: HostStatusReport): Promise<void>;
  updateHost(input: { hostId: string; endpoint?: string; publicKey?: string }): Promise<void>;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const WATCH = `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type revision change { revision kind networkId committedAt payload } } }`;

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
  const url = `${apiUrl.replace(/\/$/, '')}/graphql`;
  const headers = { authorization: `Bearer ${token}` };
  const call = <T>(query: string, variables: Record<string, unknown>) => graphqlCall<T>(apiUrl, token, query, variables, timeoutMs);
  const sse = createClient({ url, headers: () => ({ authorization: headers.authorization }), retryAttempts: 0 });
  return {
    async hostConfig(hostId) {
      const data = await call<{ hostConfig: { config: HostConfig } }>(`query($h: ID!) { hostConfig(hostId: $h) { revision config } }`, { h: hostId });
      return data.hostConfig.config;
    },
    watch(hostId, since, signal) {
      return {
        async *[Symbol.asyncIterator]() {
          const iterator = sse.iterate<{ hostChanges: FeedEventMessage }>({ query: WATCH, variables: { h: hostId, s: since } });
          const onAbort = () => void iterator.return?.();
          signal.addEventListener('abort', onAbort, { once: true });
          try {
            for await (const message of iterator) {
              if (message.errors?.length)
                throw new ApiError(message.errors[0].message, (message.errors[0] as { extensions?: { code?: string } }).extensions?.code);
              if (message.data) yield message.data.hostChanges;
            }
          } finally {
            signal.removeEventListener('abort', onAbort);
          }
        },
      };
    },
    async report(status) {
      await call(`mutation($i: ReportHostStatusInput!) { reportHostStatus(input: $i) { hostId } }`, { i: status });
    },
    async updateHost(input) {
      await call(`mutation($i: UpdateHostInput!) { updateHost(input: $i) { revision } }`, { i: input });
    },
  };
}
