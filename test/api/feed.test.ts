import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi, type TestApi } from '../support/api.ts';
import { readSse } from '../support/sse.ts';

let apis: TestApi[] = [];
afterEach(async () => {
  for (const a of apis) await a.close();
  apis = [];
});
const start = async (...args: Parameters<typeof startTestApi>) => {
  const api = await startTestApi(...args);
  apis.push(api);
  return api;
};

const HOST_CHANGES = `query($h: ID!, $s: Int!, $f: Int) { hostChanges(hostId: $h, since: $s, first: $f) { resync head cursor hasMore changes { revision kind networkId hostId payload } } }`;
const HOST_CONFIG = `query($h: ID!) { hostConfig(hostId: $h) { revision config } }`;

describe('change feed', () => {
  it('gives a host its snapshot, then only the deltas that concern it', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 3 });
    const [h1, h2, h3] = w.hostIds;
    const snap0 = (await api.ok(HOST_CONFIG, { h: h1 })).hostConfig;
    expect(snap0.config.networks).toEqual([]);
    expect(snap0.config.peers).toEqual([]);
    const c1 = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: h1 } })).createContainer.container;
    const c2 = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: h2 } })).createContainer.container;
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c2.id });
    const page = (await api.ok(HOST_CHANGES, { h: h1, s: snap0.revision })).hostChanges;
    expect(page.resync).toBe(false);
    expect(page.changes.map((c: any) => c.kind)).toEqual(['network.joined', 'container.created', 'container.created', 'peer.upserted', 'container.running']);
    expect(page.changes[3].payload.peer.hostId).toBe(h2);
    const revisions = page.changes.map((c: any) => c.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    expect(page.cursor).toBe(page.head);
    // host 3 has no container: it hears nothing about the network
    expect((await api.ok(HOST_CHANGES, { h: h3, s: snap0.revision })).hostChanges.changes).toEqual([]);
    // the snapshot at the new head agrees with the deltas
    const snap1: HostConfig = (await api.ok(HOST_CONFIG, { h: h1 })).hostConfig.config;
    expect(snap1.peers.map((p) => p.hostId)).toEqual([h2]);
    expect(snap1.networks[0].containers.map((c) => [c.id, c.state])).toEqual([
      [c1.id, 'PENDING'],
      [c2.id, 'RUNNING'],
    ]);
    // removing host 1's last container: it leaves the network and loses its peer
    const before = (await api.ok(HOST_CONFIG, { h: h1 })).hostConfig.revision;
    await api.ok(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c1.id });
    const left = (await api.ok(HOST_CHANGES, { h: h1, s: before })).hostChanges.changes.map((c: any) => c.kind);
    expect(left).toEqual(['network.left', 'peer.removed']);
    const h2saw = (await api.ok(HOST_CHANGES, { h: h2, s: before })).hostChanges.changes.map((c: any) => c.kind);
    expect(h2saw).toEqual(['container.removed', 'peer.removed']);
  });

  it('keeps one container change under 1 KB with 1,000 containers in the network', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 4 });
    for (let i = 0; i < 1000; i++)
      await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: i % 2 ? 'web' : 'worker', hostId: w.hostIds[i % 4] } });
    const { revision } = (await api.ok(HOST_CONFIG, { h: w.hostIds[0] })).hostConfig;
    const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[1] } })).createContainer.container;
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    const changes = (await api.ok(HOST_CHANGES, { h: w.hostIds[0], s: revision })).hostChanges.changes;
    expect(changes.map((x: any) => x.kind)).toEqual(['container.created', 'container.running']);
    for (const change of changes) expect(JSON.stringify(change).length).toBeLessThan(1024);
  });

  it('answers RESYNC for a compacted since, and the next snapshot is consistent', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 2 });
    const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    const head = (await api.ok(HOST_CONFIG, { h: w.hostIds[0] })).hostConfig.revision;
    const compacted = await api.ok(`mutation($r: Int) { compactFeed(throughRevision: $r) { compactedThrough deleted } }`, { r: head - 1 });
    expect(compacted.compactFeed.compactedThrough).toBe(head - 1);
    // a later, lower compaction never moves the mark back (readers behind it would miss rows)
    const lower = await api.ok(`mutation { compactFeed(throughRevision: 1) { compactedThrough deleted } }`);
    expect(lower.compactFeed).toEqual({ compactedThrough: head - 1, deleted: 0 });
    expect((await api.ok(HOST_CHANGES, { h: w.hostIds[0], s: 1 })).hostChanges).toMatchObject({ resync: true, changes: [], cursor: null });
    const sub = await readSse(api, `subscription($h: ID!) { hostChanges(hostId: $h, since: 0) { type revision } }`, { h: w.hostIds[0] }, 1);
    expect(sub[0].data.hostChanges.type).toBe('RESYNC');
    const snap = (await api.ok(HOST_CONFIG, { h: w.hostIds[0] })).hostConfig;
    expect(snap.revision).toBe(head);
    expect(snap.config.networks[0].containers).toEqual([expect.objectContaining({ id: c.id, state: 'RUNNING' })]);
    expect((await api.ok(HOST_CHANGES, { h: w.hostIds[0], s: snap.revision })).hostChanges).toMatchObject({ resync: false, changes: [] });
  });

  it('misses nothing and repeats nothing across a stream killed halfway', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 1 });
    const { revision } = (await api.ok(HOST_CONFIG, { h: w.hostIds[0] })).hostConfig;
    const made: string[] = [];
    const create = async () =>
      made.push(
        (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container.id,
      );
    for (let i = 0; i < 3; i++) await create();
    const sub = `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type revision change { kind payload } } }`;
    const first = await readSse(api, sub, { h: w.hostIds[0], s: revision }, 3);
    const seen = first.map((e) => e.data.hostChanges);
    const cursor = seen[seen.length - 1].revision;
    for (let i = 0; i < 4; i++) await create(); // made while no stream is open
    const changesIn = (e: any[]) => e.filter((x) => x.data.hostChanges.type === 'CHANGE').length;
    const second = await readSse(api, sub, { h: w.hostIds[0], s: cursor }, (e) => changesIn(e) >= 5, 5000);
    const all = [...seen, ...second.map((e) => e.data.hostChanges)].filter((e) => e.type === 'CHANGE');
    const created = all.filter((e) => e.change.kind === 'container.created').map((e) => e.change.payload.container.id);
    expect(created).toEqual(made);
    const revs = all.map((e) => e.revision);
    expect(new Set(revs).size).toBe(revs.length);
    expect([...revs].sort((a, b) => a - b)).toEqual(revs);
  });

  it('pushes live changes to an open subscription at once', async () => {
    const api = await start({ FEED_POLL_MS: '60000' }); // no polling floor: only the in-process wake-up
    const w = await seedWorld(api, { hosts: 1 });
    const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
    const { revision } = (await api.ok(HOST_CONFIG, { h: w.hostIds[0] })).hostConfig;
    const waiting = readSse(
      api,
      `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type revision change { kind } } }`,
      { h: w.hostIds[0], s: revision },
      1,
      5000,
    );
    await new Promise((r) => setTimeout(r, 100));
    const t1 = Date.now();
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    const got = await waiting;
    expect(got[0].data.hostChanges.change.kind).toBe('container.running');
    expect(Date.now() - t1).toBeLessThan(2000); // far below the 60 s polling floor
  });

  it('shows parallel writers to readers gapless and in commit order', async () => {
    const api = await start();
    const w = await seedWorld(api, { hosts: 2 });
    const { revision } = (await api.ok(HOST_CONFIG, { h: w.hostIds[0] })).hostConfig;
    await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    const observed: number[] = [];
    let cursor = revision;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const page = (await api.ok(`query($s: Int!) { projectChanges(projectId: "${w.projectId}", since: $s) { cursor changes { revision } } }`, { s: cursor }))
          .projectChanges;
        observed.push(...page.changes.map((c: any) => c.revision));
        cursor = page.cursor;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[i % 2] } })),
    );
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await reader;
    const all = (
      await api.ok(`query($s: Int!) { projectChanges(projectId: "${w.projectId}", since: $s, first: 5000) { changes { revision } } }`, { s: revision })
    ).projectChanges.changes.map((c: any) => c.revision);
    expect(observed).toEqual(all); // the live reader saw exactly the committed sequence, in order
    expect(all.length).toBeGreaterThanOrEqual(61);
  });

  it('delivers a change made through one API to a subscriber on another over the same file', async () => {
    const a = await start();
    const dbFile = join(a.dir, 'weft.db');
    const b = await startTestApi({ AUTH_EDDSA_PRIVATE_KEY: a.config.auth.eddsaPrivateKey!, FEED_POLL_MS: '100' }, { dbFile });
    apis.push(b);
    const w = await seedWorld(a, { hosts: 1 });
    const { revision } = (await b.ok(HOST_CONFIG, { h: w.hostIds[0] })).hostConfig;
    const waiting = readSse(
      b,
      `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type change { kind } } }`,
      { h: w.hostIds[0], s: revision },
      2,
      5000,
    );
    await new Promise((r) => setTimeout(r, 50));
    await a.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    const got = await waiting;
    expect(got.map((e) => e.data.hostChanges.change?.kind)).toEqual(['network.joined', 'container.created']);
  });
});
