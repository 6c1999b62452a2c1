/**
 * End to end, as root: the API the agents follow is stopped for 30 s. Meanwhile traffic flows and
 * every host's DNS keeps answering from what it knew; changes are made through a second API process
 * over the same database (a container added, another drained). The first API then starts again on
 * the same port and database file, and every agent must converge on those changes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { World, type WorldContainer } from '../../lab/world.ts';
import { sleep } from '../support/netns-lab.ts';
import { pingSummary, probeArgv, startBackground } from '../../lab/probes.ts';
import { describeRoot } from '../support/root.ts';

const OUTAGE_MS = 30_000;
/** Each container's DNS loop sends one query per interval for the whole test. */
const DNS_INTERVAL_MS = 50;
const Z = 'private-network.internal';

describeRoot('end to end: API outage of 30 s', () => {
  const world = new World('wo');
  let p: { projectId: string; networkId: string; appId: string };
  let gateway = '';
  const c: WorldContainer[] = [];

  beforeAll(async () => {
    const opened = await world.upWithWebOnEveryHost('outage');
    p = opened.project;
    gateway = opened.gateway;
    c.push(...opened.containers);
  }, 120_000);

  afterAll(async () => world.destroy(), 60_000);

  const lookup = (x: WorldContainer, name: string) => world.exec(x, ['dig', '+short', '+time=1', '+tries=2', name]).trim().split('\n').filter(Boolean).sort();

  it('keeps traffic and DNS up during the outage; changes made through another API reach every agent once it is back', async () => {
    const app = `${p.appId}.${p.networkId}.${Z}`;
    const pingArgv = (ip: string) => ['ping', '-c', String((OUTAGE_MS + 15_000) / 100), '-i', '0.1', '-W', '1', ip];
    const pings = await Promise.all([startBackground(world, c[0].ns, pingArgv(c[1].ip), null), startBackground(world, c[2].ns, pingArgv(c[0].ip), null)]);
    const dns = await Promise.all(c.map((x) => startBackground(world, x.ns, probeArgv('dns-loop', gateway, app, DNS_INTERVAL_MS))));
    const dnsFrom = Date.now(); // every loop printed `ready`: each has been sending since (or sends from now on)

    const down = Date.now();
    await world.stopApi();
    await expect(fetch(`${world.api.url}/healthz`)).rejects.toThrow();
    const other = await world.startExtraApi();
    const added = await world.allocate(p.appId, 'web', 2, other.url);
    await world.markRunning(added.id, other.url);
    await world.gql(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: c[2].id }, other.url);
    const head = (await world.gql(`query($n: ID!) { network(id: $n) { convergence { headRevision converged } } }`, { n: p.networkId }, other.url)).network
      .convergence;
    expect(head.converged).toBe(false); // the agents cannot see these changes yet
    await sleep(3000);
    // every host still answers from what it knew: the old set, without the new container
    for (const x of c) expect(lookup(x, app)).toEqual(c.map((y) => y.ip).sort());
    await other.close();
    await sleep(OUTAGE_MS - (Date.now() - down));
    const outageMs = Date.now() - down;

    await world.startApi();
    const back = Date.now();
    await world.converged(p.networkId, 60_000);
    const convergeMs = Date.now() - back;
    const hosts = (
      await world.gql(`query($n: ID!) { network(id: $n) { convergence { headRevision hosts { appliedRevision pendingChanges } } } }`, { n: p.networkId })
    ).network.convergence;

    const dnsMs = Date.now() - dnsFrom; // the loops stop sending on SIGTERM, just below
    const dnsResults = (await Promise.all(dns.map((d) => d.stop()))).map(
      (lines) => JSON.parse(lines.at(-1)!) as { sent: number; answered: number; failed: number; maxMs: number },
    );
    const pingResults = await Promise.all(pings.map(async (b) => pingSummary(await b.done())));
    console.log(
      `[e2e] API outage: down ${outageMs} ms; converged ${convergeMs} ms after it came back (head ${hosts.headRevision}, hosts ${JSON.stringify(hosts.hosts)}); pings ${JSON.stringify(pingResults)}; dns ${JSON.stringify(dnsResults)}`,
    );
    expect(outageMs).toBeGreaterThanOrEqual(OUTAGE_MS);
    for (const r of pingResults) expect(r.received).toBe(r.sent);
    // a loop that sent nothing (or stalled) would pass the checks below: it must have sent at least
    // half the queries its interval implies over the time it ran (≥ 300 for the 30 s outage alone)
    const minSent = Math.floor((dnsMs / DNS_INTERVAL_MS) * 0.5);
    expect(minSent).toBeGreaterThanOrEqual(OUTAGE_MS / DNS_INTERVAL_MS / 2);
    for (const r of dnsResults) {
      expect(r.sent).toBeGreaterThanOrEqual(minSent);
      expect(r.failed).toBe(0);
      expect(r.answered).toBe(r.sent);
    }
    expect(hosts.headRevision).toBeGreaterThanOrEqual(head.headRevision);
    for (const h of hosts.hosts) expect(h.pendingChanges).toBe(0); // every agent applied what concerned it

    // every host now answers the new set: the drained container is gone, the added one is in
    const want = [c[0].ip, c[1].ip, added.ip].sort();
    for (const x of c) expect(lookup(x, app), `from host ${x.host}`).toEqual(want);
    // and the added container can be attached on host 2 and reached from hosts 1 and 3
    const d = await world.attach(added);
    for (const x of [c[0], c[2]]) expect(world.exec(x, ['ping', '-c', '2', '-i', '0.2', '-W', '2', d.ip])).toMatch(/ 0% packet loss/);
  }, 150_000);
});
