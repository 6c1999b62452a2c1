/**
 * End to end, as root: every host's weft-agent is stopped (SIGTERM) and started again, one after
 * the other, while containers ping each other across hosts every 20 ms and ask their DNS every
 * 20 ms. Nothing may be lost: the kernel state and the separate DNS daemon outlive the agent
 * (docs/agent-dataplane.md, docs/dns.md). Afterwards the restarted agents still follow changes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { World, type WorldContainer } from '../../lab/world.ts';
import { sleep } from '../support/netns-lab.ts';
import { pingSummary, probeArgv, startBackground } from '../../lab/probes.ts';
import { describeRoot } from '../support/root.ts';

const PINGS = 600; // 12 s at 20 ms: longer than the three restarts

describeRoot('end to end: agent restarts under a 20 ms ping', () => {
  const world = new World('wr');
  let p: { projectId: string; networkId: string; appId: string };
  let gateway = '';
  const c: WorldContainer[] = [];

  beforeAll(async () => {
    const opened = await world.upWithWebOnEveryHost('restart');
    p = opened.project;
    gateway = opened.gateway;
    c.push(...opened.containers);
  }, 120_000);

  afterAll(async () => world.destroy(), 60_000);

  it('loses no ping and no DNS answer while each agent restarts', async () => {
    const name = `${p.appId}.${p.networkId}.private-network.internal`;
    const pingArgv = (ip: string) => ['ping', '-c', String(PINGS), '-i', '0.02', '-W', '1', ip];
    const pings = await Promise.all([startBackground(world, c[0].ns, pingArgv(c[1].ip), null), startBackground(world, c[2].ns, pingArgv(c[0].ip), null)]);
    const dns = await Promise.all(c.map((x) => startBackground(world, x.ns, probeArgv('dns-loop', gateway, name, 20))));
    const start = Date.now();
    const restarts: number[] = [];
    await sleep(1000);
    for (const h of world.hosts) {
      const t = Date.now();
      await world.stopAgent(h.n, 'SIGTERM');
      expect(h.agent!.exitCode !== null || h.agent!.signalCode !== null).toBe(true);
      await sleep(500); // the host runs without an agent for a moment
      await world.startAgent(h.n);
      restarts.push(Date.now() - t);
    }
    await sleep(1000);
    const restartWindow = Date.now() - start;
    expect(restartWindow).toBeLessThan(PINGS * 20); // the pings covered every restart
    const dnsResults = (await Promise.all(dns.map((d) => d.stop()))).map(
      (lines) => JSON.parse(lines.at(-1)!) as { sent: number; answered: number; failed: number; maxMs: number },
    );
    const pingResults = await Promise.all(pings.map(async (b) => pingSummary(await b.done())));
    console.log(
      `[e2e] agent restarts: ${restarts.map((ms) => `${ms} ms`).join(', ')} (stop → start → attach API up); pings ${JSON.stringify(pingResults)}; dns ${JSON.stringify(dnsResults)}`,
    );
    for (const r of pingResults) expect(r).toEqual({ sent: PINGS, received: PINGS });
    for (const r of dnsResults) {
      expect(r.failed).toBe(0);
      expect(r.answered).toBe(r.sent);
      expect(r.sent).toBeGreaterThan(restartWindow / 20 / 2);
    }
  }, 90_000);

  it('the restarted agents follow changes: a new container converges and is reachable', async () => {
    const d = await world.runContainer(p.appId, 'web', 2);
    await world.converged(p.networkId);
    const out = world.exec(c[0], ['dig', '+short', '+time=1', d.hostname]).trim();
    expect(out).toBe(d.ip);
    expect(world.exec(c[2], ['ping', '-c', '2', '-i', '0.2', '-W', '2', d.ip])).toMatch(/ 0% packet loss/);
  }, 60_000);
});
