/**
 * End to end, as root: every DNS name form (docs/architecture.md §3.1) asked with `dig` from containers on each
 * host, case-insensitive, NXDOMAIN (with an SOA) for unknown names and for every name of another
 * network, NODATA for other record types; the environment processes see inside containers; and a
 * process type switched to PRIVATE without renaming, as the API and the containers see it.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { World, type WorldContainer } from '../../lab/world.ts';
import { describeRoot } from '../support/root.ts';
import { containerIpv6 } from '../../protocol/addressing/ipv6.ts';

/** The v6 addresses of containers of a network (ipv6 ON by default): the same offsets in its /64, sorted. */
async function ipv6Of(world: World, networkId: string, ips: string[]): Promise<string[]> {
  const { network } = await world.gql(`query($n: ID!) { network(id: $n) { cidr ipv6Cidr } }`, { n: networkId });
  return ips.map((ip) => containerIpv6({ cidr: network.cidr, ipv6: { cidr: network.ipv6Cidr } }, ip)!).sort();
}

const Z = 'private-network.internal';

/** `dig` from a container: "NXDOMAIN+SOA", "NODATA", the sorted addresses (A or AAAA), or the odd status. */
function lookup(ns: string, name: string, type = 'A'): Promise<string> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, 'dig', '+time=1', '+tries=2', '+noall', '+comments', '+answer', '+authority', name, type], (error, out) => {
      if (error) return resolve(`dig failed: ${error.message}`);
      const status = /status: (\w+)/.exec(out)?.[1];
      const answers = out
        .split('\n')
        .filter((l) => /\sIN\s+(A|AAAA)\s/.test(l))
        .map((l) => l.trim().split(/\s+/).at(-1)!)
        .sort();
      if (status === 'NXDOMAIN') resolve(/\sIN\s+SOA\s/.test(out) ? 'NXDOMAIN+SOA' : 'NXDOMAIN');
      else if (status === 'NOERROR' && /ANSWER: 0,/.test(out)) resolve('NODATA');
      else if (status === 'NOERROR') resolve(answers.join(' '));
      else resolve(String(status));
    });
  });
}

describeRoot('end to end: DNS names, environment, exposure switch', () => {
  const world = new World('wd');
  let alpha: { projectId: string; networkId: string; appId: string };
  let jobs: string;
  let webIpv6: string[];
  let beta: { projectId: string; networkId: string; appId: string };
  const c: Record<string, WorldContainer> = {};

  beforeAll(async () => {
    try {
      await world.up(3);
      alpha = await world.project('alpha', ['web', 'worker']);
      jobs = await world.application(alpha.projectId, 'jobs', ['worker']);
      await world.gql(`mutation($a: ID!) { setDefaultProcessType(applicationId: $a, processType: "worker") { revision } }`, { a: jobs });
      beta = await world.project('beta', ['web']);
      c.web1 = await world.runContainer(alpha.appId, 'web', 1);
      c.web2 = await world.runContainer(alpha.appId, 'web', 2);
      c.worker1 = await world.runContainer(alpha.appId, 'worker', 3);
      c.jobs1 = await world.runContainer(jobs, 'worker', 2);
      c.beta1 = await world.runContainer(beta.appId, 'web', 3);
      await world.converged(alpha.networkId);
      await world.converged(beta.networkId);
      webIpv6 = await ipv6Of(world, alpha.networkId, [c.web1.ip, c.web2.ip]);
    } catch (error) {
      await world.destroy();
      throw error;
    }
  }, 180_000);

  afterAll(async () => world.destroy(), 60_000);

  /** name → expected answer, for a container of alpha. */
  function alphaTable(): [string, string, string?][] {
    const app = `${alpha.appId}.${alpha.networkId}.${Z}`;
    const jobsName = `${jobs}.${alpha.networkId}.${Z}`;
    const webs = [c.web1.ip, c.web2.ip].sort().join(' ');
    const betaApp = `${beta.appId}.${beta.networkId}.${Z}`;
    return [
      [app, webs],
      [`${app}.`, webs],
      [`web.${app}`, webs],
      [`1.web.${app}`, c.web1.ip],
      [`2.web.${app}`, c.web2.ip],
      [`worker.${app}`, c.worker1.ip],
      [`1.worker.${app}`, c.worker1.ip],
      [app.toUpperCase(), webs],
      [`2.WEB.${app.toUpperCase()}`, c.web2.ip],
      [`1.Worker.${alpha.appId.toUpperCase()}.${alpha.networkId}.Private-Network.Internal`, c.worker1.ip],
      [jobsName, c.jobs1.ip], // its default process type is worker: no web needed
      [`worker.${jobsName}`, c.jobs1.ip],
      [`1.worker.${jobsName}`, c.jobs1.ip],
      [`3.web.${app}`, 'NXDOMAIN+SOA'],
      [`0.web.${app}`, 'NXDOMAIN+SOA'],
      [`backend.${app}`, 'NXDOMAIN+SOA'],
      [`web.${jobsName}`, 'NXDOMAIN+SOA'],
      [`ap-00000000-0000-0000-0000-000000000000.${alpha.networkId}.${Z}`, 'NXDOMAIN+SOA'],
      [`${alpha.appId}.${beta.networkId}.${Z}`, 'NXDOMAIN+SOA'],
      [betaApp, 'NXDOMAIN+SOA'],
      [`web.${betaApp}`, 'NXDOMAIN+SOA'],
      [`1.web.${betaApp}`, 'NXDOMAIN+SOA'],
      [`web.${app}`, webIpv6.join(' '), 'AAAA'], // dual-stack is ON by default (issue 21)
      [`1.web.${app}`, 'NODATA', 'TXT'],
    ];
  }

  it('answers every name form the same way on every host, and nothing of the other network', async () => {
    const table = alphaTable();
    for (const from of [c.web1, c.web2, c.worker1]) {
      const got = await Promise.all(table.map(async ([name, , type]) => `${name} ${type ?? 'A'} → ${await lookup(from.ns, name, type)}`));
      expect(got).toEqual(table.map(([name, want, type]) => `${name} ${type ?? 'A'} → ${want}`));
    }
    // and from beta: its own names, and none of alpha's
    const betaApp = `${beta.appId}.${beta.networkId}.${Z}`;
    const fromBeta = await Promise.all(
      [betaApp, `1.web.${betaApp}`, `${alpha.appId}.${alpha.networkId}.${Z}`, `1.web.${alpha.appId}.${alpha.networkId}.${Z}`].map((n) => lookup(c.beta1.ns, n)),
    );
    expect(fromBeta).toEqual([c.beta1.ip, c.beta1.ip, 'NXDOMAIN+SOA', 'NXDOMAIN+SOA']);
    console.log(`[e2e] dns matrix: ${table.length} names × 3 hosts + 4 from the other network, all as expected`);
  }, 60_000);

  it('gives processes inside each container the environment the agent returned, matching the API', async () => {
    const apps: Record<string, string> = { web1: alpha.appId, web2: alpha.appId, worker1: alpha.appId, jobs1: jobs, beta1: beta.appId };
    for (const [key, ctr] of Object.entries(c)) {
      const env = Object.fromEntries(
        world
          .exec(ctr, ['env'])
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('SCALINGO_'))
          .map((l) => l.split(/=(.*)/s).slice(0, 2)),
      );
      const api = await world.gql(`query($id: ID!) { container(id: $id) { hostname environment { name value } } }`, { id: ctr.id });
      const network = key === 'beta1' ? beta.networkId : alpha.networkId;
      expect(env).toEqual({ SCALINGO_APPLICATION_ID: apps[key], SCALINGO_PRIVATE_NETWORK_ID: network, SCALINGO_PRIVATE_HOSTNAME: api.container.hostname });
      expect(Object.fromEntries(api.container.environment.map((e: { name: string; value: string }) => [e.name, e.value]))).toEqual(env);
      // the container's own name, taken from its environment, resolves to itself (both families: dual-stack is ON by default)
      const [v6] = await ipv6Of(world, network, [ctr.ip]);
      expect(world.exec(ctr, ['sh', '-c', 'host "$SCALINGO_PRIVATE_HOSTNAME"']).trim().split('\n')).toEqual([
        `${api.container.hostname} has address ${ctr.ip}`,
        `${api.container.hostname} has IPv6 address ${v6}`,
      ]);
    }
  }, 60_000);

  it('switches web to PRIVATE without renaming: the API shows it, the public router drops it, containers still resolve it', async () => {
    const shape = `processTypes { name exposure } privateDomainNames defaultProcessType`;
    const before = await world.gql(`query($a: ID!) { application(id: $a) { ${shape} } }`, { a: alpha.appId });
    const routesBefore = await world.gql(`query($p: ID!) { publicRoutes(projectId: $p) { processType containers { id } } }`, { p: alpha.projectId });
    expect(before.application.processTypes).toContainEqual({ name: 'web', exposure: 'PUBLIC' });
    expect(routesBefore.publicRoutes.map((r: { processType: string }) => r.processType)).toEqual(['web']);

    const switched = await world.gql(
      `mutation($a: ID!) { setProcessExposure(applicationId: $a, processType: "web", exposure: PRIVATE) { revision application { ${shape} } } }`,
      { a: alpha.appId },
    );
    expect(switched.setProcessExposure.application.processTypes).toEqual(
      expect.arrayContaining([
        { name: 'web', exposure: 'PRIVATE' },
        { name: 'worker', exposure: 'PRIVATE' },
      ]),
    );
    expect(switched.setProcessExposure.application.privateDomainNames).toEqual(before.application.privateDomainNames);
    expect(switched.setProcessExposure.application.defaultProcessType).toBe('web');
    const routesAfter = await world.gql(`query($p: ID!) { publicRoutes(projectId: $p) { processType } }`, { p: alpha.projectId });
    expect(routesAfter.publicRoutes).toEqual([]);
    const ctr = await world.gql(`query($id: ID!) { container(id: $id) { hostname processType } }`, { id: c.web1.id });
    expect(ctr.container).toEqual({ hostname: c.web1.hostname, processType: 'web' });

    await world.converged(alpha.networkId);
    const app = `${alpha.appId}.${alpha.networkId}.${Z}`;
    const webs = [c.web1.ip, c.web2.ip].sort().join(' ');
    expect(await Promise.all([lookup(c.worker1.ns, app), lookup(c.jobs1.ns, `web.${app}`), lookup(c.web2.ns, `1.web.${app}`)])).toEqual([
      webs,
      webs,
      c.web1.ip,
    ]);
  }, 60_000);
});
