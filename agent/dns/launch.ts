/**
 * Starting the DNS daemon from the agent when none is running.
 *
 * Owns: spawning daemon.ts detached (its own session, no stdio tied to the agent) so it outlives
 * the agent. Under systemd, prefer a separate `weft-dns` unit, or KillMode=process on the agent's,
 * or the agent's restart kills the daemon with its cgroup (docs/dns.md).
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { DnsDaemonClient, request } from './control.ts';
import { childScript } from './script-path.ts';

const DAEMON = childScript(import.meta.url, 'daemon');

export interface LaunchOptions {
  control: string;
  state: string;
  resolvConf?: string;
  logFile?: string; // where the daemon's stderr goes; default: discarded
  /**
   * Replace a running daemon with the code on disk: `upgrade` (it hands its sockets to its
   * successor, nothing lost) or `takeover` (a new daemon binds alongside, then the old one closes;
   * a query queued on the old socket at that instant is lost and retried by the client).
   */
  replace?: 'upgrade' | 'takeover';
}

/**
 * Returns a client for the daemon on `control`, starting one (detached) if none answers, and
 * the PID it started (undefined when one was already running).
 */
export async function ensureDnsDaemon(opts: LaunchOptions): Promise<{ client: DnsDaemonClient; startedPid?: number }> {
  const client = new DnsDaemonClient(opts.control);
  const running = await pidOf(client);
  if (running !== undefined && !opts.replace) return { client };
  if (running !== undefined && opts.replace === 'upgrade') {
    const pid = await client.upgrade();
    await waitFor(client, pid);
    return { client, startedPid: pid };
  }
  const args = [DAEMON, '--control', opts.control, '--state', opts.state];
  if (opts.resolvConf) args.push('--resolv-conf', opts.resolvConf);
  const err = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const before = running;
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

async function waitFor(client: DnsDaemonClient, pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await pidOf(client)) === pid) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`dns daemon ${pid} did not take the control socket within 10 s`);
}

async function pidOf(client: DnsDaemonClient): Promise<number | undefined> {
  return request<{ pid: number }>(client.path, { op: 'ping' }, 500).then(
    (r) => r.pid,
    () => undefined,
  );
}
