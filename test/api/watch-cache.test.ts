/**
 * The watch cache (docs/architecture.md §8.5) against the table it caches: the same pages, each row
 * read once however many streams are open, a commit by another process delivered by the head poll
 * alone, and a database whose head went back answered with RESYNC.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readFeedPage } from '../../src/feed/read.ts';
import { headRevision } from '../../src/feed/snapshot.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi } from '../support/api.ts';
import { tokenVersion } from '../support/auth-world.ts';
import { openSse, readSse } from '../support/sse.ts';

type CachedApi = Awaited<ReturnType<typeof startTestApi>>;
let apis: CachedApi[] = [];
afterEach(async () => {
  for (const a of apis) await a.close();
  apis = [];
});
const start = async (...args: Parameters<typeof startTestApi>) => {
  const api = await startTestApi(...args);
  apis.push(api);
  return api;
};

const HOST_WATCH = `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type revision change { kind } } }`;
const RUNNING = `mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`;
const REMOVE = `mutation($id: ID!) { removeContainer(id: $id) { revision } }`;

/** Waits until the cache has tailed up to the table's head. */
async function tailed(api: CachedApi): Promise<number> {
  const head = await headRevision(api.db.read);
  await expect.poll(() => api.hub.stats().head, { timeout: 5000, interval: 10 }).toBe(head);
  return head;
}

/** A seeded pseudo-random sequence, so a failure replays. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('watch cache', () => {
  it('pages every project and every host whose membership held exactly as the table does', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 4 });
    // every host a member first, so later pages compare with the table's "members now"
    const live: string[] = [];
    for (const h of w.hostIds)
      live.push((await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: h } })).createContainer.container.id);
    const since = await tailed(api);
    const next = random(7);
    for (let i = 0; i < 60; i++) {
      const r = next();
      if (r < 0.5 || live.length <= 4) {
        const hostId = w.hostIds[Math.floor(next() * w.hostIds.length)];
        live.push((await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'worker', hostId } })).createContainer.container.id);
      } else if (r < 0.8) await api.ok(RUNNING, { id: live[Math.floor(next() * live.length)] });
      else await api.ok(REMOVE, { id: live.splice(4 + Math.floor(next() * (live.length - 4)), 1)[0] });
    }
    const head = await tailed(api);
    const scopes = [{ projectId: w.projectId }, ...w.hostIds.map((hostId) => ({ hostId }))];
    let compared = 0;
    for (const scope of scopes)
      for (const from of [since, since + 7, Math.floor((since + head) / 2), head - 1, head])
        for (const limit of [5, 500]) {
          const cached = api.hub.window!.page(scope, from, limit);
          const table = await readFeedPage(api.db, scope, from, limit);
          const { networks: _, ...fromTable } = table as typeof table & { networks?: string[] };
          expect(cached, `${JSON.stringify(scope)} after ${from}, ${limit} rows`).toEqual(fromTable);
          compared += cached && !cached.resync ? cached.rows.length : 0;
        }
    expect(compared).toBeGreaterThan(100);
  });

  it('reads each new row once, however many streams are open', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 2 });
    for (const hostId of w.hostIds) await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId } });
    const since = await tailed(api);
    const streams = await Promise.all(
      Array.from({ length: 20 }, (_, i) => openSse(api.fetch, 'http://weft.test/graphql', HOST_WATCH, { h: w.hostIds[i % 2], s: since }, api.admin)),
    );
    try {
      const before = api.hub.stats();
      // Count the statements of the read connection (the writes have their own): a stream that read
      // the table itself would cost 20 streams x 10 commits x 3 statements.
      let reads = 0;
      const execute = api.db.client.execute.bind(api.db.client);
      api.db.client.execute = ((...args: Parameters<typeof execute>) => (reads++, execute(...args))) as typeof execute;
      // each a network-wide row that both hosts' streams receive
      for (let i = 0; i < 10; i++) await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'worker', hostId: w.hostIds[0] } });
      const head = await tailed(api);
      const changes = (f: { event: string; data: unknown }[]) => f.filter((x) => (x.data as any)?.data?.hostChanges?.type === 'CHANGE').length;
      for (const s of streams) expect(await s.waitFor((frames) => changes(frames) >= 10, 5000)).toBe('matched');
      const after = api.hub.stats();
      const read = after.rowsRead + after.rowsTaken - before.rowsRead - before.rowsTaken;
      expect(read).toBe(head - since);
      expect(after.restarts).toBe(before.restarts);
      expect(reads).toBeLessThan(100);
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });

  it("delivers another process's commit by the head poll, with no polling floor", async () => {
    const a = await start();
    const b = await start({ AUTH_EDDSA_PRIVATE_KEY: a.config.auth.eddsaPrivateKey!, FEED_POLL_MS: '600000' }, { dbFile: join(a.dir, 'weft.db') });
    const w = await seedWorld(a, { hosts: 1 });
    await tailed(b);
    const since = await headRevision(b.db.read);
    const waiting = readSse(b, HOST_WATCH, { h: w.hostIds[0], s: since }, 2, 5000);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await a.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    const got = await waiting;
    expect(got.map((e) => e.data.hostChanges.change?.kind)).toEqual(['network.joined', 'container.created']);
    // the polling floor is 10 minutes: only the 50 ms head poll can have found it
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('streams agents compact container payloads, which the agent makes whole again; others get them full', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 1 });
    const host = w.hostIds[0];
    const since = await headRevision(api.db.read);
    const agentToken = await api.token({ kind: 'agent', sub: `agent:${host}`, host, ver: await tokenVersion(api, host) });
    const WATCH = `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type revision change { kind networkId payload } } }`;
    const container = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: host } })).createContainer.container;
    const events = (frames: { data: unknown }[]) => frames.map((f) => (f.data as any)?.data?.hostChanges).filter(Boolean);
    const created = (e: any) => e.change?.kind === 'container.created';
    const agentStream = await openSse(api.fetch, 'http://weft.test/graphql', WATCH, { h: host, s: since }, agentToken);
    let agentEvent: any;
    try {
      expect(await agentStream.waitFor((frames) => events(frames).some(created), 5000)).toBe('matched');
      agentEvent = events(agentStream.frames).find(created);
    } finally {
      await agentStream.close();
    }
    const full = await readSse(api, WATCH, { h: host, s: since }, (e) => e.some((x) => created(x.data.hostChanges)));
    const fullEvent = full.map((e) => e.data.hostChanges).find((e) => e.change?.kind === 'container.created');
    expect(fullEvent.change.payload.container).toMatchObject({ hostname: container.hostname, mac: container.mac });
    expect(Object.keys(agentEvent.change.payload.container).sort()).toEqual([
      'applicationId',
      'hostId',
      'hostMeshIp',
      'id',
      'ip',
      'number',
      'processType',
      'state',
    ]);
    const { applyChange } = await import('../../agent/api/apply-delta.ts');
    const config = (await api.ok(`query($h: ID!) { hostConfig(hostId: $h) { config } }`, { h: host })).hostConfig.config;
    const before = { ...config, revision: since, networks: config.networks.map((n: any) => ({ ...n, containers: [] })) };
    const applied = applyChange(before, { revision: agentEvent.revision, ...agentEvent.change });
    expect(applied.kind).toBe('applied');
    expect((applied as any).config.networks[0].containers).toEqual([fullEvent.change.payload.container]);
  });

  it('answers RESYNC at once to a stream opened for another database generation', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 1 });
    const since = await headRevision(api.db.read);
    const generation = (await api.ok(`query($h: ID!) { hostConfig(hostId: $h) { config } }`, { h: w.hostIds[0] })).hostConfig.config.generation;
    const WATCH = `subscription($h: ID!, $s: Int!, $g: String) { hostChanges(hostId: $h, since: $s, generation: $g) { type revision } }`;
    const other = await readSse(api, WATCH, { h: w.hostIds[0], s: since, g: 'another-database' }, 1);
    expect(other.map((e) => e.data.hostChanges)).toEqual([{ type: 'RESYNC', revision: since }]);
    const waiting = readSse(api, WATCH, { h: w.hostIds[0], s: since, g: generation }, 1);
    await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    expect((await waiting)[0].data.hostChanges.type).toBe('CHANGE');
  });

  it('starts again from the table when the head goes back, and the stream is told to RESYNC', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 1 });
    await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    const head = await tailed(api);
    const stream = await openSse(api.fetch, 'http://weft.test/graphql', HOST_WATCH, { h: w.hostIds[0], s: head }, api.admin);
    try {
      // a restore: the newest rows are gone from under the running API
      await api.db.client.execute({ sql: 'delete from changes where revision > ?', args: [head - 2] });
      await stream.waitFor((frames) => frames.some((f) => (f.data as any)?.data?.hostChanges?.type === 'RESYNC'), 5000);
      expect(api.hub.stats().restarts).toBe(1);
      expect(api.hub.stats().head).toBe(head - 2);
    } finally {
      await stream.close();
    }
  });
});
