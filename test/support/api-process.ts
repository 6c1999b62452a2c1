/**
 * The real API (`src/node.ts`) as a child process, for tests and benchmarks that need separate
 * processes: two replicas over one database, kill -9, CPU and memory read honestly from /proc.
 * It is one node process (tsx as an import hook, not a wrapper process), so its PID is the server;
 * it runs in a process group of its own, listens on loopback and is ended by its PID only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TokenClaims, signToken } from '../../src/auth/jwt.ts';
import { loadSigningKeys } from '../../src/auth/keys.ts';
import { parseConfig } from '../../src/config.ts';
import { freePort } from './ports.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  /** The database file: the caller's (env DATABASE_URL) or a fresh one in a directory removed by stop(). */
  dbFile: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** A token signed with the key or secret the process was given (none for a generated development key). */
  token(claims: TokenClaims, ttlSeconds?: number): Promise<string>;
  /** utime + stime of the API process so far, in seconds. */
  cpuSeconds(): number;
  /** Resident set size now and at its peak (VmHWM), in MiB. */
  rss(): { now: number; peak: number };
  /** Signals the process group (SIGTERM unless told) and waits for the exit, at most `waitMs`. */
  stop(signal?: NodeJS.Signals, waitMs?: number): Promise<void>;
}

export interface ApiProcessOptions {
  /** Start from a copy of this database file (only when env has no DATABASE_URL). */
  seedFile?: string;
  /** Write a V8 CPU profile of the API into this directory (node --cpu-prof). */
  cpuProfDir?: string;
  /** Also copy the API's output to this process's stderr. */
  echo?: boolean;
  /** End the API when this process exits or gets SIGINT/SIGTERM (for scripts, not test workers). */
  endWithThisProcess?: boolean;
  /** Run `src/node.ts` of another checkout of Weft (e.g. bench/baseline.ts's export of an older revision). */
  root?: string;
}

/** Starts the API with `env` (HOST 127.0.0.1 and a free PORT unless given) and resolves when it listens. */
export async function startApiProcess(env: Record<string, string> = {}, options: ApiProcessOptions = {}): Promise<ApiProcess> {
  const dir = env.DATABASE_URL ? null : mkdtempSync(join(tmpdir(), 'weft-api-process-'));
  const dbFile = dir ? join(dir, 'weft.db') : env.DATABASE_URL.replace(/^file:/, '');
  if (dir && options.seedFile) copyFileSync(options.seedFile, dbFile);
  const vars = { HOST: '127.0.0.1', PORT: String(await freePort()), ...(dir ? { DATABASE_URL: `file:${dbFile}` } : {}), ...env };
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/node.ts'], {
    cwd: options.root ?? ROOT,
    env: { ...process.env, ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += String(d).slice(0, 2000))); // a stack trace is enough: a flood of them is not kept
  if (options.echo) child.stdout!.pipe(process.stderr), child.stderr!.pipe(process.stderr);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const removeDir = () => dir && rmSync(dir, { recursive: true, force: true });
  let url: string;
  try {
    url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`API did not start:\n${out}`)), 30_000);
      const failed = (code: number | null, signal: string | null) => (clearTimeout(timer), rej(new Error(`API exited (${code ?? signal}):\n${out}`)));
      const check = () => {
        const m = /listening on (http:\/\/\S+)\/graphql/.exec(out);
        if (!m) return;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.off('exit', failed);
        res(m[1]);
      };
      child.stdout!.on('data', check);
      child.once('exit', failed);
    });
  } catch (error) {
    removeDir();
    throw error;
  }
  const pid = child.pid!;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal); // the group we created
    } catch {}
  };
  // a script interrupted mid-run must not leave its API running: end our own child on the way out
  const orphanGuard = () => signalGroup('SIGTERM');
  if (options.endWithThisProcess) {
    process.once('exit', orphanGuard);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (orphanGuard(), process.exit(130)));
  }
  const status = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return {
    url,
    child,
    pid,
    dbFile,
    output: () => out,
    async token(claims, ttl = 3600) {
      const config = parseConfig(vars);
      return signToken(await loadSigningKeys(config.auth), config.auth, claims, ttl);
    },
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in USER_HZ
    },
    rss: () => ({ now: status('VmRSS'), peak: status('VmHWM') }),
    async stop(signal = 'SIGTERM', waitMs = Number.POSITIVE_INFINITY) {
      process.removeListener('exit', orphanGuard);
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup(signal);
        await Promise.race([exited, ...(Number.isFinite(waitMs) ? [new Promise((r) => setTimeout(r, waitMs))] : [])]);
      }
      removeDir();
    },
  };
}
