/**
 * The one builder of throwaway network namespaces, for the root-only suites, the benchmarks and
 * lab/world.ts. Two shapes:
 * - `up(n)`: a multi-host lab — one "underlay" namespace with a bridge (192.0.2.0/24, TEST-NET-1),
 *   N "host" namespaces each with wireguard-go (a distinct interface name per host: its UAPI socket
 *   directory is machine-wide), and bare container namespaces (`container`);
 * - `sandbox` + `attach`: for the DNS suites, sandboxes with a bridge holding the gateway, and
 *   containers on veths into them whose /etc/netns resolv.conf names the gateway.
 * Every name starts with `wt<prefix>-`; `destroy()` removes exactly what carries the lab's prefix
 * (and its agents' sandboxes) and kills only the PIDs it started. Traffic never leaves these
 * namespaces. Agents run with the real runner prefixed by `nsenter --net=<host ns>`, not
 * `ip netns exec`: the latter enters a private mount namespace, and an `ip netns add` made in
 * there is invisible outside.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeNames, type Names } from '../../agent/config-names.ts';
import { createExecRunner, type CommandRunner } from '../../agent/exec/runner.ts';

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

const env = () => ({ ...process.env, LC_ALL: 'C' });
const shSync = (argv: string[], input?: string) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', input, env: env() });

/** Runs a command inside a namespace and returns stdout (throws with stderr on failure). */
export function inNs(ns: string, argv: string[], input?: string): string {
  return shSync(['ip', 'netns', 'exec', ns, ...argv], input);
}

/** Runs a command with argv without blocking, putting argv and stderr in any error; resolves with stdout. */
export async function sh(cmd: string, ...args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)(cmd, args, { env: env() })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr ?? ''}${e.stdout ?? ''}` || String(err));
  }
}

/** Promise-based sleep. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  /** Every namespace this lab made, in order; a test that deletes one itself takes it out. */
  readonly namespaces: string[] = [];
  private readonly etcDirs: string[] = [];
  /** The underlay namespace. */
  readonly ul: string;
  /** What every name of this lab starts with: `wt<prefix>`. */
  private readonly base: string;

  constructor(readonly prefix: string) {
    if (!/^[a-z]{2}$/.test(prefix)) throw new Error('lab prefix: 2 lowercase letters');
    this.base = `wt${prefix}`;
    this.ul = `${this.base}-ul`;
  }

  /** Creates the underlay and `count` hosts with wireguard-go running (not configured: the agent does it). */
  async up(count: number): Promise<void> {
    this.cleanupLeftovers();
    this.addNs(this.ul, false);
    shSync(['ip', '-n', this.ul, 'link', 'add', 'ulbr', 'type', 'bridge']);
    shSync(['ip', '-n', this.ul, 'link', 'set', 'ulbr', 'up']);
    for (let n = 1; n <= count; n++) {
      const ns = `${this.base}-h${n}`;
      const names = makeNames({ prefix: `${this.prefix}${n}` });
      this.addNs(ns);
      shSync(['ip', '-n', this.ul, 'link', 'add', `ul-h${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      shSync(['ip', '-n', this.ul, 'link', 'set', `ul-h${n}`, 'master', 'ulbr', 'up']);
      const underlay = `192.0.2.${10 + n}`;
      shSync(['ip', '-n', ns, 'addr', 'add', `${underlay}/24`, 'dev', 'eth0']);
      shSync(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      const privateKeyPath = join(this.dir, `wg${n}.key`);
      writeFileSync(privateKeyPath, shSync(['wg', 'genkey']), { mode: 0o600 });
      const publicKey = shSync(['wg', 'pubkey'], shSync(['cat', privateKeyPath])).trim();
      const host: LabHost = {
        n,
        ns,
        names,
        underlay,
        privateKeyPath,
        publicKey,
        runner: createExecRunner({ prefix: ['nsenter', `--net=/run/netns/${ns}`] }),
        wg: null,
      };
      this.hosts.push(host);
      await this.startWg(host);
    }
  }

  /** Starts wireguard-go for a host and waits for its UAPI socket. */
  async startWg(h: LabHost): Promise<void> {
    const wgEnv = { ...process.env, WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1', WG_PROCESS_FOREGROUND: '1' };
    h.wg = spawn('ip', ['netns', 'exec', h.ns, 'wireguard-go', h.names.wg], { env: wgEnv, stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(`/var/run/wireguard/${h.names.wg}.sock`); i++) await sleep(50);
    if (!existsSync(`/var/run/wireguard/${h.names.wg}.sock`)) throw new Error(`wireguard-go ${h.names.wg} did not start`);
  }

  /** The namespace name of a lab container. */
  containerNs(name: string): string {
    return `${this.base}-c${name}`;
  }

  /** Creates a bare container namespace (only `lo`, up) and returns its netns path. */
  container(name: string): string {
    const ns = this.containerNs(name);
    this.addNs(ns);
    return `/run/netns/${ns}`;
  }

  /** A sandbox namespace `wt<prefix>-s<slot>` with bridge `wt<prefix>b<slot>` holding `gatewayCidr`; returns its name. */
  async sandbox(slot: number, gatewayCidr: string): Promise<string> {
    const ns = `${this.base}-s${slot}`;
    this.addNs(ns);
    const br = `${this.base}b${slot}`;
    shSync(['ip', '-n', ns, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0']);
    shSync(['ip', '-n', ns, 'addr', 'add', gatewayCidr, 'dev', br]);
    shSync(['ip', '-n', ns, 'link', 'set', br, 'up']);
    return ns;
  }

  /** A container namespace on a veth into sandbox `slot`'s bridge, using the gateway as resolver; returns its name. */
  async attach(name: string, slot: number, ipCidr: string, gateway: string): Promise<string> {
    const ns = this.containerNs(name);
    this.addNs(ns);
    const veth = `${this.base}v${name}`.slice(0, 15);
    shSync(['ip', '-n', `${this.base}-s${slot}`, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', ns]);
    shSync(['ip', '-n', `${this.base}-s${slot}`, 'link', 'set', veth, 'master', `${this.base}b${slot}`, 'up']);
    shSync(['ip', '-n', ns, 'addr', 'add', ipCidr, 'dev', 'eth1']);
    shSync(['ip', '-n', ns, 'link', 'set', 'eth1', 'up']);
    // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf: what `host` and libc will use.
    const dir = `/etc/netns/${ns}`;
    mkdirSync(dir, { recursive: true });
    this.etcDirs.push(dir);
    writeFileSync(`${dir}/resolv.conf`, `nameserver ${gateway}\noptions timeout:1 attempts:1\n`);
    return ns;
  }

  /** Deletes what an earlier, killed run with the same prefix left behind. */
  async sweep(): Promise<void> {
    this.cleanupLeftovers();
  }

  /** Kills the PIDs this lab started and deletes every namespace with its prefix. Never throws. */
  async destroy(): Promise<void> {
    for (const h of this.hosts) {
      if (h.wg?.pid && h.wg.exitCode === null) {
        h.wg.kill('SIGTERM');
        await new Promise((r) => {
          h.wg!.once('exit', r);
          setTimeout(r, 2000);
        });
      }
      rmSync(`/var/run/wireguard/${h.names.wg}.sock`, { force: true });
    }
    for (const ns of this.namespaces.splice(0).reverse()) this.deleteNs(ns);
    this.cleanupLeftovers();
    for (const dir of this.etcDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    if (this.labDir) rmSync(this.labDir, { recursive: true, force: true });
  }

  private addNs(ns: string, loUp = true): void {
    shSync(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    if (loUp) shSync(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private deleteNs(ns: string): void {
    try {
      shSync(['ip', 'netns', 'del', ns]);
    } catch {
      /* already gone */
    }
  }

  private cleanupLeftovers(): void {
    let names: string[] = [];
    try {
      const list = shSync(['ip', '-j', 'netns', 'list']).trim();
      names = list ? JSON.parse(list).map((n: { name: string }) => n.name) : [];
    } catch {
      return; // no namespaces to list
    }
    // Exactly ours: the lab's own namespaces and the sandboxes of its agents (`<prefix><n>pn-<vni>`).
    const mine = new RegExp(`^(${this.base}-|${this.prefix}\\d+pn-\\d+$)`);
    for (const ns of names.filter((n) => mine.test(n))) {
      this.deleteNs(ns);
      if (ns.startsWith(`${this.base}-`)) rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }
}
