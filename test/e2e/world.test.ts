/**
 * End to end, as root: the API, 3 hosts with wireguard-go and real weft-agent processes, two
 * projects, containers attached through the agents' attach API. Asserts what users need: names,
 * environment, cross-host traffic on any port, isolation, drain and removal.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { World, type WorldContainer } from '../../lab/world.ts';
import { inNs, sleep } from '../support/netns-lab.ts';
import { pingOk, sendOnce } from '../../lab/traffic.ts';
import { describeRoot } from '../support/root.ts';
import { containerIpv6 } from '../../protocol/addressing/ipv6.ts';

/** The v6 addresses of containers of a network (ipv6 ON by default): the same offsets in its /64, sorted. */
async function ipv6Of(world: World, networkId: string, ips: string[]): Promise<string[]> {
  const { network } = await world.gql(`query($n: ID!) { network(id: $n) { cidr ipv6Cidr } }`, { n: networkId });
  return ips.map((ip) => containerIpv6({ cidr: network.cidr, ipv6: { cidr: network.ipv6Cidr } }, ip)!).sort();
}

const Z = 'private-network.internal';

/** `dig +short` from inside a container namespace against its network's resolver. */
function dig(ns: string, name: string, extra: string[] = []): string {
  return inNs(ns, ['dig', '+time=1', '+tries=2', ...extra, name]);
}

describeRoot('end to end: 3 hosts, 2 projects', () => {
  const world = new World('we');
  let a: { projectId: string; networkId: string; appId: string };
  let aWebIpv6: string[];
  let b: { projectId: string; networkId: string; appId: string };
  const ctr: Record<string, WorldContainer> = {};

  beforeAll(async () => {
    try {
      await world.up(3);
      a = await world.project('alpha', ['web', 'worker']);
      b = await world.project('beta', ['web']);
      ctr.aWeb1 = await world.runContainer(a.appId, 'web', 1);
      ctr.aWeb2 = await world.runContainer(a.appId, 'web', 2);
      ctr.aWorker1 = await world.runContainer(a.appId, 'worker', 3);
      ctr.bWeb1 = await world.runContainer(b.appId, 'web', 1);
      ctr.bWeb2 = await world.runContainer(b.appId, 'web', 3);
      await world.converged(a.networkId);
      await world.converged(b.networkId);
      aWebIpv6 = await ipv6Of(world, a.networkId, [ctr.aWeb1.ip, ctr.aWeb2.ip]);
    } catch (error) {
      await world.destroy();
      throw error;
    }
  }, 120_000);

  afterAll(async () => world.destroy(), 60_000);

  it('gives each container its environment from the agent', () => {
    expect(ctr.aWeb1.env).toEqual({
      SCALINGO_APPLICATION_ID: a.appId,
      SCALINGO_PRIVATE_NETWORK_ID: a.networkId,
      SCALINGO_PRIVATE_HOSTNAME: ctr.aWeb1.hostname,
    });
  });

  it('carries ICMP, TCP and UDP across hosts inside a network', async () => {
    expect(pingOk(ctr.aWeb1.ns, ctr.aWeb2.ip)).toBe(true);
    expect(pingOk(ctr.aWorker1.ns, ctr.aWeb1.ip)).toBe(true);
    expect(await sendOnce('tcp', ctr.aWeb2.ns, ctr.aWeb1.ns, ctr.aWeb2.ip, 31337, 'hello over tcp')).toBe('hello over tcp');
    expect(await sendOnce('udp', ctr.aWorker1.ns, ctr.aWeb2.ns, ctr.aWorker1.ip, 40000, 'hello over udp')).toBe('hello over udp');
    expect(pingOk(ctr.bWeb1.ns, ctr.bWeb2.ip)).toBe(true);
  });

  it('isolates the two projects even where their addresses coincide', async () => {
    // both networks use 10.240.0.0/22: .2 and .3 exist in both, .4 only in alpha
    expect([ctr.bWeb1.ip, ctr.bWeb2.ip]).toEqual([ctr.aWeb1.ip, ctr.aWeb2.ip]);
    expect(pingOk(ctr.bWeb1.ns, ctr.aWorker1.ip, { count: 1 })).toBe(false);
    expect(pingOk(ctr.bWeb2.ns, ctr.aWorker1.ip, { count: 1 })).toBe(false);
    // the same address reaches the caller's own network, never the other one
    expect(await sendOnce('tcp', ctr.bWeb2.ns, ctr.bWeb1.ns, ctr.bWeb2.ip, 7000, 'beta to beta')).toBe('beta to beta');
    expect(await sendOnce('tcp', ctr.aWeb2.ns, ctr.bWeb1.ns, ctr.aWeb2.ip, 7001, 'beta to alpha')).toBe('');
  });

  it('resolves every name form from inside containers, and nothing of the other network', () => {
    const app = `${a.appId}.${a.networkId}.${Z}`;
    expect(inNs(ctr.aWorker1.ns, ['host', app]).trim().split('\n').sort()).toEqual(
      [`${app} has address ${ctr.aWeb1.ip}`, `${app} has address ${ctr.aWeb2.ip}`, ...aWebIpv6.map((v6) => `${app} has IPv6 address ${v6}`)].sort(),
    );
    expect(dig(ctr.aWeb1.ns, `worker.${app}`, ['+short']).trim()).toBe(ctr.aWorker1.ip);
    expect(dig(ctr.aWeb2.ns, `2.web.${app}`, ['+short']).trim()).toBe(ctr.aWeb2.ip);
    expect(dig(ctr.aWeb2.ns, `2.WEB.${app.toUpperCase()}`, ['+short']).trim()).toBe(ctr.aWeb2.ip);
    expect(dig(ctr.aWeb1.ns, `9.web.${app}`)).toMatch(/status: NXDOMAIN/);
    // dual-stack is ON by default (issue 21): AAAA answers the same offsets in the network's /64
    expect(dig(ctr.aWeb1.ns, `web.${app}`, ['AAAA', '+short']).trim().split('\n').sort()).toEqual(aWebIpv6);
    // beta's names do not exist for alpha, and the reverse
    expect(dig(ctr.aWeb1.ns, `${b.appId}.${b.networkId}.${Z}`)).toMatch(/status: NXDOMAIN/);
    expect(dig(ctr.bWeb1.ns, app)).toMatch(/status: NXDOMAIN/);
    expect(dig(ctr.bWeb1.ns, `${b.appId}.${b.networkId}.${Z}`, ['+tcp', '+short']).trim().split('\n').sort()).toEqual([ctr.bWeb1.ip, ctr.bWeb2.ip].sort());
  });

  it('drains a container out of DNS at once while an open TCP connection keeps working, then removal cuts it', async () => {
    const app = `${a.appId}.${a.networkId}.${Z}`;
    // a long-lived TCP connection from web.1 to web.2
    const server = (await import('node:child_process')).spawn('ip', ['netns', 'exec', ctr.aWeb2.ns, 'timeout', '20', 'nc', '-l', ctr.aWeb2.ip, '5555'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let received = '';
    server.stdout.on('data', (d) => (received += d));
    await sleep(300);
    const client = (await import('node:child_process')).spawn('ip', ['netns', 'exec', ctr.aWeb1.ns, 'nc', ctr.aWeb2.ip, '5555'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    client.stdin.write('before drain\n');
    await world.gql(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: ctr.aWeb2.id });
    await world.converged(a.networkId);
    expect(dig(ctr.aWorker1.ns, app, ['+short']).trim()).toBe(ctr.aWeb1.ip); // gone from DNS
    client.stdin.write('after drain\n');
    await sleep(300);
    expect(received).toContain('before drain');
    expect(received).toContain('after drain');
    expect(pingOk(ctr.aWeb1.ns, ctr.aWeb2.ip, { count: 1 })).toBe(true); // still reachable
    await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: ctr.aWeb2.id });
    await world.converged(a.networkId);
    await sleep(200);
    expect(pingOk(ctr.aWeb1.ns, ctr.aWeb2.ip, { count: 1 })).toBe(false); // torn down everywhere
    client.kill();
    server.kill();
  });
});
