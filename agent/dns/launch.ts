/**
 * Starting the DNS daemon from the agent when none is running.
 *
 * Owns: spawning daemon.ts detached (its own session, no stdio tied to the agent) so it outlives
 * the agent. Under systemd, prefer a separate `weft-dns` unit, or KillMode=process on the agent's,
 * or the agent's restart kills the daemon with its cgroup (docs/dns.md).
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DnsDaemonClient, request } from './control.ts';

const DAEMON = fileURLToPath(new URL('./daemon.ts', import.meta.url));

export interface LaunchOptions {
  control: string;
  state: string;
  resolvConf?: string;
  logFile?: string; // where the daemon's stderr goes; default: discarded
  /** Start a new daemon even if one runs: it takes over (upgrade). */
  replace?: boolean;
}

/**
 * Returns a client for the daemon on `control`, starting one (detached) if none answers, and
 * the PID it started (undefined when one was already running).
 */
export async function ensureDnsDaemon(opts: LaunchOptions): Promise<{ client: DnsDaemonClient; startedPid?: number }> {
  const client = new DnsDaemonClient(opts.control);
  if (!opts.replace && (await client.alive())) return { client };
  const args = [DAEMON, '--control', opts.control, '--state', opts.state];
  if (opts.resolvConf) args.push('--resolv-conf', opts.resolvConf);
  const err = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const before = opts.replace ? await pidOf(client) : undefined;
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', err] });
  child.unref();
  for (let i = 0; i < 200; i++) {
    const pid = await pidOf(client);
    if (pid !== undefined && pid !== before) return { client, startedPid: child.pid };
    if (child.exitCode !== null) throw new Error(`dns daemon exited ${child.exitCode} at start`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('dns daemon did not come up within 5 s');
}

async function pidOf(client: DnsDaemonClient): Promise<number | undefined> {
  return request<{ pid: number }>(client.path, { op: 'ping' }, 500).then((r) => r.pid, () => undefined);
}
