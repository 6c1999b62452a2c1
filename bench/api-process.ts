/**
 * The control API (`src/node.ts`) in a child process of its own, so its CPU and memory can be read
 * honestly from /proc while the load generators share the machine. One node process (tsx as an
 * import hook, not a wrapper process), in its own process group, ended by its PID only; it listens
 * on loopback. `adminToken` is signed with the same HS256 secret the child was given.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signToken } from '../src/auth/jwt.ts';
import { loadSigningKeys } from '../src/auth/keys.ts';
import { parseConfig } from '../src/config.ts';
import { freePort } from '../test/support/server-process.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ApiProcess {
  url: string;
  pid: number;
  admin: string;
  dbFile: string;
  /** utime + stime of the API process so far, in seconds. */
  cpuSeconds(): number;
  /** Resident set size now and at its peak (VmHWM), in MiB. */
  rss(): { now: number; peak: number };
  stop(): Promise<void>;
}

/** The HS256 secret of benchmark APIs (loopback only, throwaway databases). */
export const BENCH_SECRET = 'bench-'.padEnd(40, 's');

/** Starts the API over a fresh embedded database in a temporary directory, or a copy of `seedFile`. */
export async function startApiProcess(env: Record<string, string> = {}, seedFile?: string): Promise<ApiProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-api-'));
  const dbFile = join(dir, 'weft.db');
  if (seedFile) copyFileSync(seedFile, dbFile);
  const port = await freePort();
  const vars = { DATABASE_URL: `file:${dbFile}`, AUTH_HS256_SECRET: BENCH_SECRET, HOST: '127.0.0.1', PORT: String(port), ...env };
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_API_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_API_PROF}`] : []), '--import', 'tsx', 'src/node.ts'], { cwd: ROOT, env: { ...process.env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += String(d).slice(0, 2000)));
  if (process.env.BENCH_API_LOG) child.stdout!.pipe(process.stderr), child.stderr!.pipe(process.stderr);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`API did not start:\n${out}`)), 30_000);
    const poll = setInterval(() => {
      if (out.includes('listening on')) (clearInterval(poll), clearTimeout(timer), res());
      if (child.exitCode !== null) (clearInterval(poll), clearTimeout(timer), rej(new Error(`API exited:\n${out}`)));
    }, 50);
  });
  const config = parseConfig(vars);
  const admin = await signToken(await loadSigningKeys(config.auth), config.auth, { kind: 'admin', sub: 'bench' }, 3600);
  const pid = child.pid!;
  // an interrupted benchmark must not leave its API running: end our own child on the way out
  const orphanGuard = () => {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {}
  };
  process.once('exit', orphanGuard);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (orphanGuard(), process.exit(130)));
  const status = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    admin,
    dbFile,
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in USER_HZ
    },
    rss: () => ({ now: status('VmRSS'), peak: status('VmHWM') }),
    async stop() {
      process.removeListener('exit', orphanGuard);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {}
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Masked internal errors the load generators retried (the API under load; see docs/benchmarks.md). */
export const retried = { internal: 0 };

/** GraphQL over HTTP with a bearer token; retries a masked internal error up to 4 times, throws on others. */
export async function gql<T = any>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
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
