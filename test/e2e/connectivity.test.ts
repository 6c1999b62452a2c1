/**
 * End to end, as root: the connectivity matrix of every ordered pair inside each network (TCP, UDP,
 * ICMP), checked against who actually answered (both networks reuse the same addresses), and the
 * L2 segment's broadcast and multicast. alpha keeps the default `multicast: ON`: broadcast and
 * multicast reach its containers on every host (head-end replication, one all-zeros FDB remote
 * per member host). beta is `multicast: OFF`: nothing floods, so they reach beta's containers on the
 * sender's host only. Neither ever reaches the other network (docs/agent-dataplane.md "Multicast").
 * Dual-stack: alpha keeps the default `ipv6: ON` and runs the same matrix over its derived v6
 * addresses (TCP, UDP, ICMPv6, and MTU 1370 with DF); beta is `ipv6: OFF` and has none
 * (docs/agent-dataplane.md "IPv6"). gamma, a second dual-stack network, cannot reach alpha over v6,
 * nor alpha it, even when the containers route each other's /64.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { containerIpv6, gateway6Of } from '../../protocol/addressing/ipv6.ts';
import { World, type WorldContainer } from '../../lab/world.ts';
import { sleep } from '../support/netns-lab.ts';
import { probeArgv, runProbe, serveEcho, startBackground, type Background } from '../../lab/probes.ts';
import { describeRoot } from '../support/root.ts';

type Net = 'alpha' | 'beta';
interface Member extends WorldContainer {
  label: string;
  net: Net;
}

/** Resolves true when every ping of `count` came back. */
function ping(ns: string, ip: string, count = 2, more: string[] = []): Promise<boolean> {
  return new Promise((r) => execFile('ip', ['netns', 'exec', ns, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', ...more, ip], (error) => r(!error)));
}

/** The directed broadcast address of an IPv4 CIDR. */
function broadcastOf(cidr: string): string {
  const [base, len] = cidr.split('/');
  const n = base.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const b = (n | (2 ** (32 - Number(len)) - 1)) >>> 0;
  return [24, 16, 8, 0].map((s) => (b >>> s) & 255).join('.');
}

describeRoot('end to end: connectivity matrix and the L2 segment', () => {
  const world = new World('wm');
  const members: Member[] = [];
  const nets: Record<Net, { networkId: string; cidr: string; ipv6Cidr: string }> = {} as never;
  // gamma: a second dual-stack network (one container, on host 2 beside alpha's a3), for v6 isolation
  let gamma: { c: WorldContainer; cidr: string; ipv6Cidr: string } | null = null;

  beforeAll(async () => {
    try {
      await world.up(3);
      // alpha: two containers on host 1 (same-host pair), one on each other host; beta: 1 + 2
      const layout: Record<Net, [string, number][]> = {
        alpha: [
          ['web', 1],
          ['web', 1],
          ['worker', 2],
          ['worker', 3],
        ],
        beta: [
          ['web', 1],
          ['web', 2],
          ['web', 2],
        ],
      };
      for (const net of ['alpha', 'beta'] as Net[]) {
        const on = net === 'alpha' ? 'ON' : 'OFF';
        const p = await world.project(net, ['web', 'worker'], net === 'alpha' ? {} : { multicast: 'OFF', ipv6: 'OFF' });
        const n = await world.gql(`query($n: ID!) { network(id: $n) { cidr multicast ipv6 ipv6Cidr } }`, { n: p.networkId });
        expect([n.network.multicast, n.network.ipv6]).toEqual([on, on]);
        nets[net] = { networkId: p.networkId, cidr: n.network.cidr, ipv6Cidr: n.network.ipv6Cidr };
        for (const [i, [type, host]] of layout[net].entries()) {
          members.push({ ...(await world.runContainer(p.appId, type, host)), label: `${net[0]}${i + 1}`, net });
        }
        await world.converged(p.networkId);
      }
      const g = await world.project('gamma', ['web']);
      const gn = await world.gql(`query($n: ID!) { network(id: $n) { cidr ipv6Cidr } }`, { n: g.networkId });
      gamma = { c: await world.runContainer(g.appId, 'web', 2), cidr: gn.network.cidr, ipv6Cidr: gn.network.ipv6Cidr };
      await world.converged(g.networkId);
    } catch (error) {
      await world.destroy();
      throw error;
    }
  }, 180_000);

  afterAll(async () => world.destroy(), 60_000);

  /** Who should answer `ip` for a container of `net`: its own network's container there, if any. */
  const owner = (net: Net, ip: string) => members.find((m) => m.net === net && m.ip === ip)?.label ?? null;

  it('TCP and UDP: every ordered pair inside a network, answered by the right container; nothing across', async () => {
    const port = 31_000;
    await Promise.all(members.map((m) => serveEcho(world, m.ns, m.label, m.ip, port)));
    const allIps = [...new Set(members.map((m) => m.ip))];
    expect(allIps.some((ip) => !owner('beta', ip))).toBe(true); // alpha has an address beta lacks
    const results = await Promise.all(
      members.map((m) =>
        runProbe<Record<string, { tcp: string | null; udp: string | null }>>(m.ns, 'matrix', port, allIps.filter((ip) => ip !== m.ip).join(',')),
      ),
    );
    const got: string[] = [];
    const want: string[] = [];
    members.forEach((m, i) => {
      for (const [ip, r] of Object.entries(results[i])) {
        got.push(`${m.label}->${ip} tcp=${r.tcp} udp=${r.udp}`);
        want.push(`${m.label}->${ip} tcp=${owner(m.net, ip)} udp=${owner(m.net, ip)}`);
      }
    });
    expect(got).toEqual(want);
    const pairs = members.flatMap((m) => members.filter((o) => o.net === m.net && o !== m)).length;
    console.log(
      `[e2e] connectivity: ${pairs} ordered pairs answered over TCP and UDP by the right container; ${got.length - pairs} probes to other networks' addresses got nothing`,
    );
  }, 60_000);

  it('ICMP: every ordered pair inside a network; the other network is unreachable', async () => {
    const checks = members.flatMap((m) =>
      [...new Set(members.filter((o) => o !== m && o.ip !== m.ip).map((o) => o.ip))].map((ip) => ({ m, ip, want: owner(m.net, ip) !== null })),
    );
    const got = await Promise.all(checks.map(async ({ m, ip }) => `${m.label}->${ip} ${await ping(m.ns, ip)}`));
    expect(got).toEqual(checks.map(({ m, ip, want }) => `${m.label}->${ip} ${want}`));
  }, 60_000);

  it('IPv6 (alpha ON): TCP, UDP and ICMPv6 every ordered pair over the derived v6 addresses, MTU 1370 with DF, DNS on the v6 gateway; beta (OFF) has no v6', async () => {
    const alpha = members.filter((m) => m.net === 'alpha');
    const ip6 = (m: Member) => containerIpv6({ cidr: nets.alpha.cidr, ipv6: { cidr: nets.alpha.ipv6Cidr } }, m.ip)!;
    const port = 32_000;
    await Promise.all(alpha.map((m) => serveEcho(world, m.ns, m.label, ip6(m), port)));
    const results = await Promise.all(
      alpha.map((m) =>
        runProbe<Record<string, { tcp: string | null; udp: string | null }>>(
          m.ns,
          'matrix',
          port,
          alpha
            .filter((o) => o !== m)
            .map(ip6)
            .join(','),
        ),
      ),
    );
    const got = alpha.flatMap((m, i) => Object.entries(results[i]).map(([ip, r]) => `${m.label}->${ip} tcp=${r.tcp} udp=${r.udp}`));
    const want = alpha.flatMap((m) => alpha.filter((o) => o !== m).map((o) => `${m.label}->${ip6(o)} tcp=${o.label} udp=${o.label}`));
    expect(got.sort()).toEqual(want.sort());
    const pings = await Promise.all(alpha.flatMap((m) => alpha.filter((o) => o !== m).map(async (o) => `${m.label}->${o.label} ${await ping(m.ns, ip6(o))}`)));
    expect(pings).toEqual(alpha.flatMap((m) => alpha.filter((o) => o !== m).map((o) => `${m.label}->${o.label} true`)));
    // a1 (host 1) to a4 (host 3): 1322 bytes of ICMPv6 payload + 48 of headers = 1370 with DF; one more is refused
    const [a1, a4] = [alpha[0], alpha[3]];
    expect(await ping(a1.ns, ip6(a4), 1, ['-M', 'do', '-s', String(1370 - 48)])).toBe(true);
    expect(await ping(a1.ns, ip6(a4), 1, ['-M', 'do', '-s', String(1370 - 47)])).toBe(false);
    // the gateway answers DNS over v6, UDP and TCP
    const gw6: string = (await world.gql(`query($n: ID!) { network(id: $n) { ipv6Gateway } }`, { n: nets.alpha.networkId })).network.ipv6Gateway;
    for (const transport of ['+notcp', '+tcp']) {
      expect(world.exec(a1, ['dig', '+short', '+time=1', '+tries=2', transport, `@${gw6}`, a4.hostname]).trim(), transport).toBe(a4.ip);
      expect(world.exec(a1, ['dig', '+short', '+time=1', '+tries=2', transport, `@${gw6}`, a4.hostname, 'AAAA']).trim(), transport).toBe(ip6(a4));
    }
    for (const b of members.filter((m) => m.net === 'beta')) {
      const global = await new Promise<string>((r) => execFile('ip', ['-n', b.ns, '-6', 'addr', 'show', 'scope', 'global'], (_e, out) => r(out)));
      expect(global, b.label).toBe('');
    }
    console.log(
      `[e2e] IPv6: ${want.length} ordered pairs in alpha answered over TCP, UDP and ICMPv6; 1322-byte DF ping a1->a4 passes, 1323 refused; DNS over UDP and TCP on the v6 gateway`,
    );
  }, 60_000);

  it("IPv6 isolation: another dual-stack network's v6 addresses are unreachable both ways, even with a route to them in the container", async () => {
    const g = gamma!;
    const alpha = members.filter((m) => m.net === 'alpha');
    expect(g.ipv6Cidr).not.toBe(nets.alpha.ipv6Cidr);
    const ip6 = (ip: string, net: { cidr: string; ipv6Cidr: string }) => containerIpv6({ cidr: net.cidr, ipv6: { cidr: net.ipv6Cidr } }, ip)!;
    const gIp6 = ip6(g.c.ip, g);
    const ifOf = (ns: string) =>
      new Promise<string>((r) => execFile('ip', ['-n', ns, '-o', '-6', 'addr', 'show', 'scope', 'global'], (_e, out) => r(out.split(/\s+/)[1] ?? '')));
    const route = async (ns: string, cidr: string) => {
      const dev = await ifOf(ns);
      expect(dev, ns).not.toBe('');
      await new Promise<void>((r, j) => execFile('ip', ['-n', ns, '-6', 'route', 'replace', cidr, 'dev', dev], (e) => (e ? j(e) : r())));
    };
    // routes a container would need to even try: the other network's /64 on its own interface
    for (const m of alpha) await route(m.ns, g.ipv6Cidr);
    await route(g.c.ns, nets.alpha.ipv6Cidr);
    const port = 33_000;
    await Promise.all([...alpha.map((m) => serveEcho(world, m.ns, m.label, ip6(m.ip, nets.alpha), port)), serveEcho(world, g.c.ns, 'g1', gIp6, port)]);
    const toGamma = await Promise.all(alpha.map((m) => runProbe<Record<string, { tcp: string | null; udp: string | null }>>(m.ns, 'matrix', port, gIp6)));
    const fromGamma = await runProbe<Record<string, { tcp: string | null; udp: string | null }>>(
      g.c.ns,
      'matrix',
      port,
      alpha.map((m) => ip6(m.ip, nets.alpha)).join(','),
    );
    const got = [
      ...alpha.map((m, i) => `${m.label}->g1 tcp=${toGamma[i][gIp6].tcp} udp=${toGamma[i][gIp6].udp}`),
      ...alpha.map((m) => `g1->${m.label} tcp=${fromGamma[ip6(m.ip, nets.alpha)].tcp} udp=${fromGamma[ip6(m.ip, nets.alpha)].udp}`),
    ];
    expect(got).toEqual([...alpha.map((m) => `${m.label}->g1 tcp=null udp=null`), ...alpha.map((m) => `g1->${m.label} tcp=null udp=null`)]);
    const pings = await Promise.all([
      ...alpha.map(async (m) => `${m.label}->g1 ${await ping(m.ns, gIp6, 1)}`),
      ...alpha.map(async (m) => `g1->${m.label} ${await ping(g.c.ns, ip6(m.ip, nets.alpha), 1)}`),
    ]);
    expect(pings).toEqual([...alpha.map((m) => `${m.label}->g1 false`), ...alpha.map((m) => `g1->${m.label} false`)]);
    // and gamma itself works: its gateway answers over v6
    expect(await ping(g.c.ns, gateway6Of(g.ipv6Cidr), 1)).toBe(true);
    console.log(
      `[e2e] IPv6 isolation: ${got.length} TCP/UDP probes and ${pings.length} ICMPv6 pings between alpha and gamma (routes added in the containers) got nothing`,
    );
  }, 60_000);

  /** Every member sends one broadcast and one multicast datagram; what each member heard from the others. */
  async function heard(port: number): Promise<string[]> {
    const group = '239.255.42.42';
    const listeners: Background[] = await Promise.all(members.map((m) => startBackground(world, m.ns, probeArgv('listen-bcast', port, group, m.ip))));
    await sleep(300); // IGMP joins
    await Promise.all(members.map((m) => runProbe(m.ns, 'send-bcast', port, broadcastOf(nets[m.net].cidr), group, m.ip, m.label)));
    await sleep(500);
    const lines = await Promise.all(listeners.map((l) => l.stop()));
    return members.map((m, i) => {
      const payloads = new Set(lines[i].map((line) => JSON.parse(line).payload as string).filter((p) => !p.startsWith(`${m.label}/`)));
      return `${m.label} heard [${[...payloads].sort().join(' ')}]`;
    });
  }

  /** What each member should hear: its network's others, on every host where `across(net)`, else on its own host only. */
  const expected = (across: (net: Net) => boolean) =>
    members.map((m) => {
      const peers = members.filter((o) => o !== m && o.net === m.net && (across(m.net) || o.host === m.host));
      return `${m.label} heard [${peers
        .flatMap((o) => [`${o.label}/broadcast`, `${o.label}/multicast`])
        .sort()
        .join(' ')}]`;
    });

  it('broadcast and multicast: ON reaches the network on every host, OFF the same host only; never the other network', async () => {
    const got = await heard(47_000);
    const want = expected((net) => net === 'alpha');
    expect(got).toEqual(want);
    // both cases exist in this layout: a1 hears a4 on host 3 (ON); b1 on host 1 hears nobody, b2 hears b3 (OFF)
    expect(want[0]).toContain('a4/multicast');
    expect(want.slice(4)).toEqual(['b1 heard []', 'b2 heard [b3/broadcast b3/multicast]', 'b3 heard [b2/broadcast b2/multicast]']);
    console.log(`[e2e] broadcast/multicast: ${got.join('; ')}`);
  }, 60_000);

  it('multicast switched live with updateNetwork: beta ON replicates across hosts, OFF again keeps it on the host', async () => {
    const SWITCH = `mutation($i: UpdateNetworkInput!) { updateNetwork(input: $i) { revision network { multicast } } }`;
    const on = await world.gql(SWITCH, { i: { networkId: nets.beta.networkId, multicast: 'ON' } });
    expect(on.updateNetwork.network.multicast).toBe('ON');
    await world.converged(nets.beta.networkId);
    expect(await heard(47_100)).toEqual(expected(() => true));
    await world.gql(SWITCH, { i: { networkId: nets.beta.networkId, multicast: 'OFF' } });
    await world.converged(nets.beta.networkId);
    expect(await heard(47_200)).toEqual(expected((net) => net === 'alpha'));
  }, 60_000);
});
