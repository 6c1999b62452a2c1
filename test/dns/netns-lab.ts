// Builds throw-away namespaces for the root DNS suites: sandboxes with a bridge holding the gateway,
// and "containers" on veths. Every name carries one run prefix, and teardown deletes exactly those.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs a command with argv, putting argv and stderr in any error. */
export async function sh(cmd: string, ...args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { env: { ...process.env, LC_ALL: 'C' } })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr ?? ''}${e.stdout ?? ''}` || String(err));
  }
}

export class NetnsLab {
  readonly namespaces: string[] = [];
  private etcDirs: string[] = [];
  /** `prefix` must be short (interface names ≤ 15 chars) and recognisable, e.g. `wtd12`. */
  constructor(readonly prefix: string) {}

  /** Deletes namespaces left by an earlier, killed run of the same suite (same prefix only). */
  async sweep(): Promise<void> {
    const list = await sh('ip', 'netns', 'list');
    for (const line of list.split('\n')) {
      const ns = line.split(' ')[0];
      if (ns.startsWith(`${this.prefix}-`)) {
        await sh('ip', 'netns', 'del', ns).catch(() => undefined);
        rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
      }
    }
  }

  /** A sandbox namespace with bridge `<prefix>b<slot>` holding `gateway/prefixLen`. */
  async sandbox(slot: number, gatewayCidr: string): Promise<string> {
    const ns = `${this.prefix}-s${slot}`;
    await this.addNs(ns);
    const br = `${this.prefix}b${slot}`;
    await sh('ip', '-n', ns, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0');
    await sh('ip', '-n', ns, 'addr', 'add', gatewayCidr, 'dev', br);
    await sh('ip', '-n', ns, 'link', 'set', br, 'up');
    return ns;
  }

  /** A container namespace on a veth into `sandbox`'s bridge, using the gateway as resolver. */
  async container(name: string, sandboxSlot: number, ipCidr: string, gateway: string): Promise<string> {
    const ns = `${this.prefix}-${name}`;
    await this.addNs(ns);
    const sandbox = `${this.prefix}-s${sandboxSlot}`;
    const veth = `${this.prefix}v${name}`.slice(0, 15);
    await sh('ip', '-n', sandbox, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', ns);
    await sh('ip', '-n', sandbox, 'link', 'set', veth, 'master', `${this.prefix}b${sandboxSlot}`, 'up');
    await sh('ip', '-n', ns, 'addr', 'add', ipCidr, 'dev', 'eth1');
    await sh('ip', '-n', ns, 'link', 'set', 'eth1', 'up');
    // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf: what `host` and libc will use.
    const dir = `/etc/netns/${ns}`;
    mkdirSync(dir, { recursive: true });
    this.etcDirs.push(dir);
    writeFileSync(`${dir}/resolv.conf`, `nameserver ${gateway}\noptions timeout:1 attempts:1\n`);
    return ns;
  }

  private async addNs(ns: string): Promise<void> {
    await sh('ip', 'netns', 'add', ns);
    this.namespaces.push(ns);
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
  }

  /** Deletes every namespace and /etc/netns directory this lab created; never throws. */
  async teardown(): Promise<void> {
    for (const ns of this.namespaces.reverse()) await sh('ip', 'netns', 'del', ns).catch(() => undefined);
    for (const dir of this.etcDirs) rmSync(dir, { recursive: true, force: true });
    this.namespaces.length = 0;
    this.etcDirs = [];
  }
}
