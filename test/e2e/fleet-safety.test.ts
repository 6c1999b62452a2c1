/**
 * End to end, as root, in the 3-host lab with real agents (issue 14, docs/architecture.md §8):
 * - rolling restart: a client sends a request every 10 ms to a process type's name while each of
 *   its containers in turn is drained (`weft-agent drain --wait`), stopped, removed and replaced;
 * - dead host: host 3's agent and WireGuard stop; its names leave DNS on hosts 1 and 2, `host.down`
 *   reaches a webhook receiver (stock `standardwebhooks` verifier), and everything returns after a
 *   restart; two hosts silent at once trip the partition guard instead;
 * - restored backup: the API restarts on a copy of its database taken 20 changes ago; every agent
 *   reports FENCED with both generations and changes nothing, until the original database returns.
 * Timings are printed, not asserted tightly (npm run bench has the numbers).
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Background, probeArgv, startBackground } from '../../lab/probes.ts';
import { World, type WorldContainer } from '../../lab/world.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';
import { sleep } from '../support/netns-lab.ts';
import { describeRoot } from '../support/root.ts';

const Z = 'private-network.internal';
const PORT = 7000;
const DOWN_AFTER_S = 30; // HOST_DOWN_AFTER_SECONDS, the default
const TTL_S = 5; // DEFAULT_DNS_TTL

describeRoot('end to end: fleet safety', () => {
  const world = new World('wf');
  let p: { projectId: string; networkId: string; appId: string };
  let gateway = '';
  const web: WorldContainer[] = [];
  const servers = new Map<string, Background>();
  let receiver: Receiver;

  const dig = (from: WorldContainer, name: string) =>
    world.exec(from, ['dig', '+short', '+time=1', '+tries=1', name]).trim().split('\n').filter(Boolean).sort();
  const serve = async (c: WorldContainer) => servers.set(c.id, await startBackground(world, c.ns, probeArgv('serve', c.id.slice(4, 12), c.ip, PORT)));
  const hostsState = async () =>
    (
      await world.gql(
        `{ hosts { edges { node { id name liveness appliedRevision fence { reason trustedGeneration trustedRevision seenGeneration seenRevision } } } } }`,
      )
    ).hosts.edges.map((e: { node: unknown }) => e.node) as {
      id: string;
      name: string;
      liveness: string;
      appliedRevision: number | null;
      fence: Record<string, unknown> | null;
    }[];

  beforeAll(async () => {
    receiver = await startReceiver();
    try {
      await world.up(3, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
      p = await world.project('fleet', ['web']);
      for (let host = 1; host <= 3; host++) {
        const c = await world.runContainer(p.appId, 'web', host, { markRunning: false });
        await serve(c);
        await world.markRunning(c.id);
        web.push(c);
      }
      await world.converged(p.networkId);
      gateway = (await world.gql(`query($n: ID!) { network(id: $n) { gateway } }`, { n: p.networkId })).network.gateway;
      const created = await world.gql(`mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }`, {
        i: { projectId: p.projectId, url: receiver.url, events: ['host.down', 'host.up', 'container.drained'] },
      });
      receiver.secrets.push(created.createWebhookEndpoint.secret);
    } catch (error) {
      await world.destroy();
      throw error;
    }
  }, 180_000);
  afterAll(async () => {
    await world.destroy();
    await receiver?.close();
  }, 60_000);

  it('rolling restart: every container drained with `weft-agent drain --wait`, then replaced; zero failed requests', async () => {
    const client = await world.runContainer(p.appId, 'client', 1);
    const name = `web.${p.appId}.${p.networkId}.${Z}`;
    const loop = await startBackground(world, client.ns, probeArgv('request-loop', gateway, name, PORT, 10));
    await sleep(1000);
    const waits: number[] = [];
    for (const old of [...web]) {
      const started = Date.now();
      const drained = await world.agentCommand(old.host, ['drain', old.id, '--wait']);
      expect(drained.stderr).toBe('');
      expect(drained.code).toBe(0);
      const state = JSON.parse(drained.stdout) as { safeToStopAt: string; pendingHosts: string[] };
      waits.push(Date.now() - started);
      expect(state.pendingHosts).toEqual([]);
      expect(Date.parse(state.safeToStopAt)).toBeLessThanOrEqual(Date.now());
      // Safe to stop: the process goes, then the container, then a replacement starts on the same host.
      await servers.get(old.id)!.stop();
      await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: old.id });
      const fresh = await world.runContainer(p.appId, 'web', old.host, { markRunning: false });
      await serve(fresh);
      await world.markRunning(fresh.id);
      web.splice(web.indexOf(old), 1, fresh);
      await sleep(500);
    }
    await sleep(1000);
    const result = JSON.parse((await loop.stop()).at(-1)!) as { sent: number; ok: number; failed: number; failures: string[] };
    console.log(`[e2e] rolling restart: drain --wait took ${waits.join(', ')} ms; requests ${JSON.stringify(result)}`);
    expect(result.sent).toBeGreaterThan(waits.reduce((a, b) => a + b, 0) / 10 / 4); // the loop kept sending (≥ a quarter of one per 10 ms)
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.ok).toBe(result.sent);
    const drainedEvents = receiver.received.filter((r) => r.type === 'container.drained');
    expect(drainedEvents.length).toBeGreaterThanOrEqual(3);
    for (const r of drainedEvents) expect(r.verifiedWith).toEqual([0]);
  }, 240_000);

  it('dead host: its names leave DNS on the other hosts, host.down reaches the webhook, and they return after a restart', async () => {
    const [c1, c2, c3] = [1, 2, 3].map((h) => web.find((c) => c.host === h)!);
    expect(dig(c1, c3.hostname)).toEqual([c3.ip]);
    const died = Date.now();
    await world.killHost(3);
    // Until DOWN, the name still answers (silence is not death yet); then it is gone from hosts 1 and 2.
    let goneAfter = -1;
    while (Date.now() - died < (DOWN_AFTER_S + TTL_S + 15) * 1000) {
      if (dig(c1, c3.hostname).length === 0 && dig(c2, c3.hostname).length === 0) {
        goneAfter = Date.now() - died;
        break;
      }
      await sleep(250);
    }
    console.log(`[e2e] dead host: names left DNS on hosts 1 and 2 ${goneAfter} ms after host 3 died (HOST_DOWN_AFTER_SECONDS ${DOWN_AFTER_S}, TTL ${TTL_S})`);
    expect(goneAfter).toBeGreaterThan(0);
    expect(goneAfter).toBeLessThanOrEqual((DOWN_AFTER_S + TTL_S + 5) * 1000);
    await receiver.until((r) => r.some((x) => x.type === 'host.down' && x.body.data.payload.hostId === world.hosts[2].hostId), 15_000);
    const down = receiver.received.find((x) => x.type === 'host.down')!;
    expect(down.verifiedWith).toEqual([0]);
    expect((await hostsState()).find((h) => h.id === world.hosts[2].hostId)?.liveness).toBe('DOWN');
    // The data plane stays: host 1 still has host 3's container in its neighbour table.
    // The other names still answer.
    expect(dig(c1, c2.hostname)).toEqual([c2.ip]);

    await world.reviveHost(3);
    const restarted = Date.now();
    while (Date.now() - restarted < 30_000 && dig(c1, c3.hostname).length === 0) await sleep(200);
    console.log(`[e2e] dead host: back in DNS ${Date.now() - restarted} ms after its agent restarted`);
    expect(dig(c1, c3.hostname)).toEqual([c3.ip]);
    await receiver.until((r) => r.some((x) => x.type === 'host.up'), 15_000);
    expect(world.exec(c1, ['ping', '-c', '2', '-i', '0.2', '-W', '2', c3.ip])).toMatch(/ 0% packet loss/);
  }, 180_000);

  it('partition guard: two of three hosts silent at once are not marked DOWN', async () => {
    const [c1, c2, c3] = [1, 2, 3].map((h) => web.find((c) => c.host === h)!);
    await world.converged(p.networkId, 30_000);
    await world.pauseAgent(2);
    await world.pauseAgent(3);
    try {
      await sleep((DOWN_AFTER_S + 8) * 1000);
      const fleet = (await world.gql(`{ fleetLiveness { partitioned silentHosts heldBackHosts } }`)).fleetLiveness;
      console.log(`[e2e] partition guard: ${JSON.stringify(fleet)}`);
      expect(fleet.partitioned).toBe(true);
      expect([...fleet.heldBackHosts].sort()).toEqual([world.hosts[1].hostId, world.hosts[2].hostId].sort());
      for (const h of await hostsState()) expect([h.name, h.liveness]).toEqual([h.name, 'UP']);
      expect(dig(c1, c2.hostname)).toEqual([c2.ip]);
      expect(dig(c1, c3.hostname)).toEqual([c3.ip]);
    } finally {
      world.resumeAgent(2);
      world.resumeAgent(3);
    }
  }, 120_000);

  it('restored backup: every agent reports FENCED with both generations and changes nothing, until its database returns', async () => {
    await world.converged(p.networkId, 30_000);
    const dbFile = world.apiConfig.databaseUrl.replace(/^file:/, '');
    await world.stopApi();
    const backup = `${dbFile}.backup`;
    copyFileSync(dbFile, backup);
    if (existsSync(`${dbFile}-wal`)) copyFileSync(`${dbFile}-wal`, `${backup}-wal`);
    await world.startApi();
    // 20 changes after the copy: 10 worker containers allocated and marked RUNNING.
    const workers = [];
    for (let i = 0; i < 10; i++) {
      const a = await world.allocate(p.appId, 'worker', (i % 3) + 1);
      await world.markRunning(a.id);
      workers.push(a);
    }
    await world.converged(p.networkId, 30_000);
    const head = (await world.gql(`query($n: ID!) { network(id: $n) { convergence { headRevision } } }`, { n: p.networkId })).network.convergence.headRevision;
    const c1 = web.find((c) => c.host === 1)!;
    const workerName = `worker.${p.appId}.${p.networkId}.${Z}`;
    expect(dig(c1, workerName)).toHaveLength(10);
    const saved = () => world.hosts.map((h) => JSON.parse(readFileSync(join(h.stateDir, 'last-known-good.json'), 'utf8')).revision as number);
    const before = saved();

    await world.stopApi();
    await world.startApi(`file:${backup}`);
    const fenced = Date.now();
    let hosts = await hostsState();
    while (Date.now() - fenced < 30_000 && hosts.some((h) => !h.fence)) {
      await sleep(250);
      hosts = await hostsState();
    }
    console.log(`[e2e] restored backup: agents report ${JSON.stringify(hosts.map((h) => ({ name: h.name, fence: h.fence })))}`);
    const generation = (await world.gql(`{ fleetLiveness { generation } }`)).fleetLiveness.generation;
    for (const h of hosts) {
      expect(h.fence).toMatchObject({ reason: 'REVISION_BACKWARDS', trustedGeneration: generation, seenGeneration: generation });
      expect(h.fence!.trustedRevision as number).toBeGreaterThanOrEqual(head);
      expect(h.fence!.seenRevision as number).toBeLessThan(head);
    }
    await sleep(3000);
    // Nothing changed: every host still answers the 10 workers the backup does not know, and keeps its saved model.
    for (const c of web) expect(dig(c, workerName)).toHaveLength(10);
    expect(saved()).toEqual(before);
    expect(world.exec(c1, ['ping', '-c', '2', '-i', '0.2', '-W', '2', web.find((c) => c.host === 3)!.ip])).toMatch(/ 0% packet loss/);
    const status = JSON.parse((await world.agentCommand(2, ['status', '--json'])).stdout);
    expect(status.fence).toMatchObject({ reason: 'REVISION_BACKWARDS' });

    // The original database returns: the fence lifts by itself.
    await world.stopApi();
    await world.startApi(`file:${dbFile}`);
    const back = Date.now();
    hosts = await hostsState();
    while (Date.now() - back < 30_000 && hosts.some((h) => h.fence)) {
      await sleep(250);
      hosts = await hostsState();
    }
    expect(hosts.map((h) => h.fence)).toEqual([null, null, null]);
    await world.converged(p.networkId, 30_000);
  }, 180_000);
});
