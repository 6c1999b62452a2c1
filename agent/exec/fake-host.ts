/**
 * FakeHost: an in-memory kernel behind the CommandRunner interface, for reconciler tests.
 *
 * Owns: understanding exactly the argv and batch lines the agent emits (agent/reconcile/argv.ts and
 * observe.ts) and answering `-j` show commands with JSON shaped like the real tools' (see
 * fake-kernel.ts). Unknown commands throw, so a new verb cannot slip past the tests unnoticed.
 * Never used by a running agent. `calls` records every process for "how many kernel calls" tests;
 * `failOn` injects failures of batch lines or whole commands.
 */
import { CommandError, type CommandRunner, type RunOptions, type RunResult } from './runner';
import { FakeNs, type FakeLink } from './fake-kernel';

/** A line-level error: message printed by the fake, like iproute2 would. */
class LineError extends Error {}

/** Options: which private-key file yields which public key (the fake does no crypto). */
export interface FakeHostOptions {
  privateKeys?: Record<string, string>;
}

/** See the module note. */
export class FakeHost implements CommandRunner {
  readonly host = new FakeNs('');
  readonly named = new Map<string, FakeNs>();
  readonly byPath = new Map<string, FakeNs>(); // container namespaces registered by tests
  readonly calls: { argv: string[]; stdin?: string }[] = [];
  failOn: RegExp | null = null;

  constructor(private readonly opts: FakeHostOptions = {}) {}

  /** Registers a container namespace reachable by path (like /proc/<pid>/ns/net). */
  addContainerNs(path: string): FakeNs {
    const ns = new FakeNs(path);
    this.byPath.set(path, ns);
    return ns;
  }

  /** Adds a WireGuard device as wireguard-go would (external mode). */
  addWgDevice(ifname: string): void {
    this.host.links.set(ifname, { name: ifname, kind: 'tun', mtu: 1420, up: false, mac: '', learning: false, addrs: [] });
    this.host.wg.set(ifname, { publicKey: '', listenPort: 0, peers: new Map() });
  }

  /** A namespace by name ('' = host) or path. */
  ns(name: string | null | undefined): FakeNs {
    if (!name) return this.host;
    const ns = this.named.get(name) ?? this.byPath.get(name) ?? this.named.get(name.replace(/^\/(var\/)?run\/netns\//, ''));
    if (!ns) throw new LineError(`setting the network namespace "${name}" failed: Invalid argument`);
    return ns;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ argv, stdin: opts.stdin });
    try {
      if (this.failOn?.test(argv.join(' ')) && !argv.includes('-batch')) throw new LineError(`injected failure`);
      return { stdout: this.dispatch(argv, opts.stdin ?? ''), stderr: '' };
    } catch (e) {
      if (e instanceof CommandError) throw e;
      throw new CommandError(argv, 1, '', `${(e as Error).message}\n`);
    }
  }

  private dispatch(argv: string[], stdin: string): string {
    let a = [...argv];
    let ns: string | null = null;
    if (a[0] === 'nsenter' && a[2] === 'sysctl') return (this.sysctl(this.ns(a[1].replace('--net=', '')), a.slice(4)), '');
    if (a[0] === 'nsenter') return this.batch(this.ns(a[1].replace('--net=', '')), a.slice(2), stdin);
    if (a[0] === 'ip' && a[1] === 'netns' && a[2] === 'exec') {
      ns = a[3];
      a = a.slice(4);
    }
    if ((a[0] === 'ip' || a[0] === 'bridge') && a[1] === '-n') {
      ns = a[2];
      a = [a[0], ...a.slice(3)];
    }
    const sp = this.ns(ns);
    const cmd = a.join(' ');
    if (a[0] === 'ip' && a.includes('-batch')) return this.batch(sp, a, stdin);
    if (a[0] === 'bridge' && a.includes('-batch')) return this.batch(sp, a, stdin);
    if (cmd === 'ip -j netns list') return JSON.stringify([...this.named.keys()].map((name) => ({ name })));
    if (cmd === 'ip -j -d addr show') return sp.addrJson();
    if (cmd === 'ip -j neigh show') return sp.neighJson();
    if (cmd === 'bridge -j fdb show') return sp.fdbJson();
    if (cmd === 'nft -j list ruleset') return sp.nftJson();
    if (cmd === 'nft -f -') return (sp.applyNft(stdin), '');
    if (a[0] === 'sysctl') return (this.sysctl(sp, a.slice(2)), '');
    if (a[0] === 'wg' && a[1] === 'show' && a[3] === 'dump') {
      const d = sp.wgDump(a[2]);
      if (d === null) throw new LineError(`Unable to access interface: No such device`);
      return d;
    }
    if (a[0] === 'wg' && a[1] === 'set') return (sp.wgSet(a.slice(2), this.opts.privateKeys ?? {}), '');
    throw new LineError(`fake host: unknown command: ${argv.join(' ')}`);
  }

  /** `sysctl -qw k=v …`; like the kernel, `all.disable_ipv6=1` drops every IPv6 address and neighbour. */
  private sysctl(sp: FakeNs, kvs: string[]): void {
    for (const kv of kvs) {
      const [k, v] = kv.split('=');
      sp.sysctl[k] = v;
      if (k === 'net.ipv6.conf.all.disable_ipv6' && v === '1') {
        for (const l of sp.links.values()) l.addrs = l.addrs.filter((x) => !x.includes(':'));
        sp.neigh = sp.neigh.filter((n) => !n.ip.includes(':'));
      }
    }
  }

  /** `ip|bridge -force -batch -`: per-line errors as `Command failed -:<n>`, like iproute2. */
  private batch(sp: FakeNs, a: string[], stdin: string): string {
    const errs: string[] = [];
    const tool = a[0] === 'bridge' ? 'bridge' : 'ip';
    stdin.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        if (this.failOn?.test(line)) throw new LineError('RTNETLINK answers: Operation not permitted (injected)');
        if (tool === 'bridge') this.bridgeLine(sp, line.split(' '));
        else this.ipLine(sp, line.split(' '));
      } catch (e) {
        errs.push(`${(e as Error).message}\nCommand failed -:${i + 1}`);
      }
    });
    if (errs.length) throw new CommandError(a, 1, '', errs.join('\n') + '\n');
    return '';
  }

  private ipLine(sp: FakeNs, w: string[]): void {
    const [obj, verb, name] = w;
    const opt = (k: string) => {
      const i = w.indexOf(k, 2);
      return i > 0 ? w[i + 1] : undefined;
    };
    if (obj === 'netns' && verb === 'add') {
      if (this.named.has(name)) throw new LineError(`Cannot create namespace file "/run/netns/${name}": File exists`);
      this.named.set(name, new FakeNs(name));
    } else if (obj === 'netns' && verb === 'del') {
      const ns = this.named.get(name);
      if (!ns) throw new LineError(`Cannot remove namespace file "/run/netns/${name}": No such file or directory`);
      for (const l of [...ns.links.keys()]) ns.removeLink(l);
      this.named.delete(name);
    } else if (obj === 'link' && verb === 'add') this.linkAdd(sp, w);
    else if (obj === 'link' && verb === 'set') this.linkSet(sp, w);
    else if (obj === 'link' && verb === 'del') {
      this.dev(sp, name);
      sp.removeLink(name);
    } else if (obj === 'addr' && verb === 'flush') {
      const l = this.dev(sp, opt('dev')!);
      if (opt('scope') === 'link') l.addrs = l.addrs.filter((x) => !x.startsWith('fe80:'));
    } else if (obj === 'addr') {
      const l = this.dev(sp, opt('dev')!);
      if (verb === 'replace' && !l.addrs.includes(name)) l.addrs.push(name);
      if (verb === 'del') {
        if (!l.addrs.includes(name)) throw new LineError('RTNETLINK answers: Cannot assign requested address');
        l.addrs = l.addrs.filter((x) => x !== name);
      }
    } else if (obj === 'neigh') {
      const dev = opt('dev')!;
      this.dev(sp, dev);
      const had = sp.neigh.length;
      sp.neigh = sp.neigh.filter((n) => !(n.ip === name && n.dev === dev));
      if (verb === 'replace') sp.neigh.push({ ip: name, dev, mac: opt('lladdr')! });
      else if (had === sp.neigh.length) throw new LineError('RTNETLINK answers: No such file or directory');
    } else throw new LineError(`fake host: unknown ip line: ${w.join(' ')}`);
  }

  private linkAdd(sp: FakeNs, w: string[]): void {
    const name = w[2];
    const opt = (k: string, from = 3) => {
      const i = w.indexOf(k, from);
      return i > 0 ? w[i + 1] : undefined;
    };
    if (sp.links.has(name)) throw new LineError('RTNETLINK answers: File exists');
    const type = opt('type')!;
    const base: FakeLink = { name, kind: type, mtu: Number(opt('mtu') ?? 1500), up: false, mac: opt('address') ?? randomMac(), learning: true, addrs: [] };
    if (type === 'vxlan')
      base.vxlan = {
        id: Number(opt('id')),
        local: opt('local')!,
        port: Number(opt('dstport')),
        learning: !w.includes('nolearning'),
        proxy: w.includes('proxy'),
      };
    if (type === 'bridge') base.mcastSnooping = Number(opt('mcast_snooping') ?? 1);
    if (type === 'wireguard') sp.wg.set(name, { publicKey: '', listenPort: 0, peers: new Map() });
    if (type === 'veth') {
      const p = w.indexOf('peer');
      const peerName = w[p + 2];
      const peerNs = this.ns(opt('netns', p)!);
      if (peerNs.links.has(peerName)) throw new LineError('RTNETLINK answers: File exists');
      const peer: FakeLink = {
        name: peerName,
        kind: 'veth',
        mtu: Number(opt('mtu', p) ?? 1500),
        up: false,
        mac: opt('address', p) ?? randomMac(),
        learning: true,
        addrs: [],
        peer: { ns: sp, name },
      };
      base.mtu = Number(w.slice(3, p).includes('mtu') ? w[w.indexOf('mtu', 3) + 1] : 1500);
      base.mac = randomMac();
      base.peer = { ns: peerNs, name: peerName };
      peerNs.links.set(peerName, peer);
    }
    sp.links.set(name, base);
  }

  private linkSet(sp: FakeNs, w: string[]): void {
    const l = this.dev(sp, w[2]);
    for (let i = 3; i < w.length; i++) {
      const k = w[i];
      if (k === 'up') l.up = true;
      else if (k === 'mtu') l.mtu = Number(w[++i]);
      else if (k === 'alias') l.alias = w[++i];
      else if (k === 'addrgenmode') l.addrGenMode = w[++i];
      else if (k === 'address') l.mac = w[++i];
      else if (k === 'master') {
        const m = w[++i];
        this.dev(sp, m);
        l.master = m;
      } else if (k === 'type' && w[i + 1] === 'bridge_slave') {
        if (!l.master) throw new LineError('RTNETLINK answers: Operation not supported');
        l.learning = w[i + 3] !== 'off';
        i += 3;
      } else if (k === 'type' && w[i + 1] === 'bridge' && w[i + 2] === 'mcast_snooping') {
        l.mcastSnooping = Number(w[i + 3]);
        i += 3;
      } else if (k === 'netns') {
        const dst = this.ns(w[++i]);
        if (dst.links.has(l.name)) throw new LineError('RTNETLINK answers: File exists');
        sp.links.delete(l.name);
        Object.assign(l, { up: false, addrs: [], master: undefined });
        dst.links.set(l.name, l);
      } else throw new LineError(`fake host: unknown link set arg ${k}`);
    }
  }

  private bridgeLine(sp: FakeNs, w: string[]): void {
    const [, verb, mac] = w;
    const dev = w[w.indexOf('dev') + 1];
    this.dev(sp, dev);
    const self = w.includes('self');
    const dst = w.includes('dst') ? w[w.indexOf('dst') + 1] : undefined;
    const had = sp.fdb.length;
    // `append` (the all-zeros entry) and a `del` naming a dst touch only that remote, like the kernel
    const sameDst = verb === 'append' || (verb === 'del' && dst !== undefined);
    sp.fdb = sp.fdb.filter((e) => !(e.mac === mac && e.dev === dev && e.self === self && (!sameDst || e.dst === dst)));
    if (verb === 'replace' || verb === 'append') {
      const l = sp.links.get(dev)!;
      if (!self && !l.master) throw new LineError('RTNETLINK answers: Invalid argument');
      sp.fdb.push(self ? { mac, dev, self, dst, state: 'permanent' } : { mac, dev, self, master: l.master, state: 'static' });
    } else if (had === sp.fdb.length) throw new LineError('RTNETLINK answers: No such file or directory');
  }

  private dev(sp: FakeNs, name: string): FakeLink {
    const l = sp.links.get(name);
    if (!l) throw new LineError(`Cannot find device "${name}"`);
    return l;
  }

  /** A canonical dump of the whole fake kernel, for "converges to identical state" assertions. */
  snapshot(): unknown {
    const dump = (ns: FakeNs) => ({
      links: JSON.parse(ns.addrJson())
        .map((l: Record<string, unknown>) => ({ ...l, ifindex: 0, address: String(l.address).startsWith('fa:ba:') ? 'kernel-random' : l.address }))
        .sort((x: { ifname: string }, y: { ifname: string }) => x.ifname.localeCompare(y.ifname)),
      fdb: [...ns.fdb].map((e) => JSON.stringify(e)).sort(),
      neigh: [...ns.neigh].map((e) => JSON.stringify(e)).sort(),
      tables: [...ns.tables.entries()].sort(),
      wg: [...ns.wg.entries()].map(([k, v]) => [k, v.publicKey, v.listenPort, [...v.peers.entries()].sort()]),
    });
    return { host: dump(this.host), named: [...this.named.keys()].sort().map((k) => [k, dump(this.named.get(k)!)]) };
  }
}

let macSeq = 0;
function randomMac(): string {
  macSeq++;
  return `fa:ba:00:00:${((macSeq >> 8) & 0xff).toString(16).padStart(2, '0')}:${(macSeq & 0xff).toString(16).padStart(2, '0')}`;
}
