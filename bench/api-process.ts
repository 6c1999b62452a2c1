/**
 * The control API of the benchmarks: test/support/api-process.ts (one node process in its own
 * process group, so its CPU and memory can be read honestly from /proc while the load generators
 * share the machine) with the benchmarks' HS256 secret, and a GraphQL client that retries masked
 * internal errors. BENCH_API_PROF=<dir> writes a CPU profile of the API; BENCH_API_LOG=1 echoes its output.
 */
import { type ApiProcess, startApiProcess } from '../test/support/api-process.ts';

export interface BenchApi extends ApiProcess {
  /** An admin token signed with BENCH_SECRET. */
  admin: string;
}

/** The HS256 secret of benchmark APIs (loopback only, throwaway databases). */
export const BENCH_SECRET = 'bench-'.padEnd(40, 's');

/**
 * Starts the API over a fresh embedded database in a temporary directory, or a copy of `seedFile`;
 * ended when this process ends. `root` runs another checkout's API (bench/baseline.ts: the
 * before of a before/after), this checkout's when absent.
 */
export async function startBenchApi(env: Record<string, string> = {}, seedFile?: string, root?: string): Promise<BenchApi> {
  const api = await startApiProcess(
    { AUTH_HS256_SECRET: BENCH_SECRET, ...env },
    { seedFile, root, cpuProfDir: process.env.BENCH_API_PROF || undefined, echo: Boolean(process.env.BENCH_API_LOG), endWithThisProcess: true },
  );
  const admin = await api.token({ kind: 'admin', sub: 'bench' }, 3600);
  return { ...api, admin, stop: (signal = 'SIGTERM', waitMs = 5000) => api.stop(signal, waitMs) };
}

/** Masked internal errors the load generators retried (the API under load; see docs/benchmarks.md). */
export const retried = { internal: 0 };

/** GraphQL over HTTP with a bearer token; retries a masked internal error up to 4 times, throws on others. */
export async function gql<T = any>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await r.json()) as { data: T; errors?: { extensions?: { code?: string } }[] };
    if (!body.errors) return body.data;
    if (attempt < 4 && body.errors[0]?.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      retried.internal++;
      await new Promise((res) => setTimeout(res, 50));
      continue;
    }
    throw new Error(JSON.stringify(body.errors).slice(0, 500));
  }
}
