/**
 * A throwaway multi-host lab for root-only tests: one "underlay" namespace with a bridge, N "host"
 * namespaces each with wireguard-go (a distinct interface name per host: its UAPI socket directory
 * is machine-wide), and container namespaces. Every name starts with the lab's prefix, and
 * `destroy()` removes exactly what this lab created and kills only the PIDs it started.
 * Traffic never leaves these namespaces: the underlay is 192.0.2.0/24 (TEST-NET-1) on a private bridge.
 * Agents run with the real runner prefixed by `nsenter --net=<host ns>`, not `ip netns exec`: the
 * latter enters a private mount namespace, and an `ip netns add` made in there is invisible outside.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeNames, type Names } from '../agent/config-names.ts';
import { createExecRunner, type CommandRunner } from '../agent/exec/runner.ts';

/** One simulated host. */
export interface LabHost {
  n: number;
  ns: string;
  names: Names;
  underlay: string;
  privateKeyPath: string;
  publicKey: string;
  runner: CommandRunner;
  wg: ChildProcess | null;
}

const sh = (argv: string[], input?: string) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', input, env: { ...process.env, LC_ALL: 'C' } });

/** Runs a command inside a namespace and returns stdout (throws with stderr on failure). */
export function inNs(ns: string, argv: string[], input?: string): string {
  return sh(['ip', 'netns', 'exec', ns, ...argv], input);
}

/**
 * The lab: `prefix` is 2 letters (e.g. `wa`). Lab namespaces are `wt<prefix>-…`; agent name
 * prefixes are `<prefix><n>` (3 chars, so interface names stay ≤ 15).
 */
export class Lab {
  private labDir: string | null = null;
  /** Scratch directory, made on first use: a skipped suite constructs its Lab but never uses it. */
  get dir(): string {
    return (this.labDir ??= mkdtempSync(join(tmpdir(), 'weft-lab-')));
  }
  readonly hosts: LabHost[] = [];
  private readonly containers: string[] = [];
  readonly ul: string;

  constructor(readonly prefix: string) {
    if (!/^[a-z]{2}$/.test(prefix)) throw new Error('lab prefix: 2 lowercase letters');
    this.ul = `wt${prefix}-ul`;
  }

  /** Creates the underlay and `count` hosts with wireguard-go running (not configured: the agent does it). */
  async up(count: number): Promise<void> {
    this.cleanupLeftovers();
    sh(['ip', 'netns', 'add', this.ul]);
    sh(['ip', '-n', this.ul, 'link', 'add', 'ulbr', 'type', 'bridge']);
    sh(['ip', '-n', this.ul, 'link', 'set', 'ulbr', 'up']);
    for (let n = 1; n <= count; n++) {
      const ns = `wt${this.prefix}-h${n}`;
      const names = makeNames({ prefix: `${this.prefix}${n}` });
      sh(['ip', 'netns', 'add', ns]);
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      sh(['ip', '-n', this.ul, 'link', 'add', `ul-h${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      sh(['ip', '-n', this.ul, 'link', 'set', `ul-h${n}`, 'master', 'ulbr', 'up']);
      const underlay = `192.0.2.${10 + n}`;
      sh(['ip', '-n', ns, 'addr', 'add', `${underlay}/24`, 'dev', 'eth0']);
      sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      const privateKeyPath = join(this.dir, `wg${n}.key`);
      writeFileSync(privateKeyPath, sh(['wg', 'genkey']), { mode: 0o600 });
      const publicKey = sh(['wg', 'pubkey'], sh(['cat', privateKeyPath])).trim();
      const host: LabHost = { n, ns, names, underlay, privateKeyPath, publicKey, runner: createExecRunner({ prefix: ['nsenter', `--net=/run/netns/${ns}`] }), wg: null };
      this.hosts.push(host);
      await this.startWg(host);
    }
  }

  /** Starts wireguard-go for a host and waits for its UAPI socket. */
  async startWg(h: LabHost): Promise<void> {
    const env = { ...process.env, WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1', WG_PROCESS_FOREGROUND: '1' };
    h.wg = spawn('ip', ['netns', 'exec', h.ns, 'wireguard-go', h.names.wg], { env, stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(`/var/run/wireguard/${h.names.wg}.sock`); i++) await sleep(50);
    if (!existsSync(`/var/run/wireguard/${h.names.wg}.sock`)) throw new Error(`wireguard-go ${h.names.wg} did not start`);
  }

  /** The namespace name of a lab container. */
  containerNs(name: string): string {
    return `wt${this.prefix}-c${name}`;
  }

  /** Creates a container namespace and returns its netns path. */
  container(name: string): string {
    const ns = this.containerNs(name);
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    this.containers.push(ns);
    return `/run/netns/${ns}`;
  }

  /** Kills the PIDs this lab started and deletes every namespace with its prefix. Never throws. */
  async destroy(): Promise<void> {
    for (const h of this.hosts) {
      if (h.wg?.pid && h.wg.exitCode === null) {
        h.wg.kill('SIGTERM');
        await new Promise((r) => { h.wg!.once('exit', r); setTimeout(r, 2000); });
      }
      rmSync(`/var/run/wireguard/${h.names.wg}.sock`, { force: true });
    }
    this.cleanupLeftovers();
    if (this.labDir) rmSync(this.labDir, { recursive: true, force: true });
  }

  private cleanupLeftovers(): void {
    const list = sh(['ip', '-j', 'netns', 'list']).trim();
    const names: string[] = list ? JSON.parse(list).map((n: { name: string }) => n.name) : [];
    // Exactly ours: the lab's own namespaces and the sandboxes of its agents (`<prefix><n>pn-<vni>`).
    const mine = new RegExp(`^(wt${this.prefix}-|${this.prefix}\\d+pn-\\d+$)`);
    for (const ns of names.filter((n) => mine.test(n))) {
      try { sh(['ip', 'netns', 'del', ns]); } catch { /* already gone */ }
    }
  }
}

/** Promise-based sleep. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
