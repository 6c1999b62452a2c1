/**
 * Issue 13, "Harden the API edge": an agent's report above the head revision, the embedded database
 * file's mode, and host placement in the project feed. (Webhook SSRF: test/webhooks/issue-13-ssrf.test.ts.)
 */
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/node/database.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi, type TestApi } from '../support/api.ts';
import { head, registerTestHost } from '../support/auth-world.ts';
import { subscribeSse } from '../support/sse.ts';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('issue 13: reportHostStatus above the head revision', () => {
  const REPORT = `mutation($h: ID!, $r: Int!) { reportHostStatus(input: { hostId: $h, appliedRevision: $r }) { hostId } }`;
  const HOST = `query($h: ID!) { host(id: $h) { appliedRevision lastHeartbeatAt } }`;

  it('refuses a revision that was never committed with BAD_USER_INPUT and writes nothing; the head itself is fine', async () => {
    api = await startTestApi();
    const host = await registerTestHost(api);
    const top = await head(api);
    for (const r of [2_000_000_000, top + 1]) {
      const res = await api.gql(REPORT, { h: host.id, r }, host.agentToken);
      expect(res.errors?.[0].extensions?.code, String(r)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toContain(`above the head revision ${top}`);
    }
    expect((await api.ok(HOST, { h: host.id })).host).toEqual({ appliedRevision: null, lastHeartbeatAt: null });
    expect(await head(api)).toBe(top);

    await api.ok(REPORT, { h: host.id, r: top }, host.agentToken);
    expect((await api.ok(HOST, { h: host.id })).host.appliedRevision).toBe(top);
  });
});

describe('issue 13: the embedded database file is owner-only', () => {
  const modeOf = (path: string) => statSync(path).mode & 0o777;

  it('creates the database file 0600, and its -wal after a write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-issue13-db-'));
    const file = join(dir, 'weft.db');
    const opened = await openDatabase(`file:${file}`);
    try {
      await migrateDatabase(opened.writeClient);
      await opened.writeClient.execute(`insert into feed_state (key, value) values ('issue-13', 1)`);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600); // WAL mode keeps it while a connection is open
      expect(modeOf(`${file}-shm`)).toBe(0o600);
    } finally {
      opened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tightens an existing group- or world-readable database file to 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-issue13-db-'));
    const file = join(dir, 'weft.db');
    closeSync(openSync(file, 'w'));
    chmodSync(file, 0o644);
    const opened = await openDatabase(`file:${file}`);
    try {
      expect(modeOf(file)).toBe(0o600);
    } finally {
      opened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('issue 13: host placement in projectChanges', () => {
  const PAGE = `query($p: ID!, $s: Int!) { projectChanges(projectId: $p, since: $s, first: 5000) { changes { kind hostId payload } } }`;
  const STREAM = `subscription($p: ID!, $s: Int!) { projectChanges(projectId: $p, since: $s) { type change { kind hostId payload } } }`;
  type Change = { kind: string; hostId: string | null; payload: Record<string, unknown> };

  /** A container's whole life on one host: joined, created, running, draining, removed, left. */
  async function containerLife(a: TestApi) {
    const w = await seedWorld(a, { hosts: 1 });
    const since = await head(a);
    const c = (await a.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
    await a.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    await a.ok(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: c.id });
    await a.ok(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.id });
    return { ...w, since };
  }

  it('users see no hostId or hostMeshIp, by query or subscription; admins see them', async () => {
    api = await startTestApi();
    const w = await containerLife(api);
    const user = await api.token({ kind: 'user', sub: 'reader', projects: { [w.projectId]: 'read' } });

    const polled: Change[] = (await api.ok(PAGE, { p: w.projectId, s: w.since }, user)).projectChanges.changes;
    const sse = await subscribeSse(api, STREAM, { p: w.projectId, s: w.since }, user, 1500, { untilEnd: true });
    const streamed: Change[] = sse.events.flatMap(
      (e) => ((e.data as { data?: { projectChanges: { change: Change | null } } }).data?.projectChanges.change ?? []) as Change[],
    );
    expect(polled.map((c) => c.kind)).toEqual([
      'network.joined',
      'container.created',
      'container.running',
      'container.draining',
      'container.removed',
      'network.left',
    ]);
    expect(streamed).toEqual(polled);
    for (const c of polled) {
      expect(c.hostId, c.kind).toBeNull();
      expect(JSON.stringify(c.payload), c.kind).not.toMatch(/hostId|hostMeshIp|100\.64\./);
    }
    expect(polled.find((c) => c.kind === 'container.created')!.payload).toMatchObject({ container: { processType: 'web', state: 'PENDING' } });

    const admin: Change[] = (await api.ok(PAGE, { p: w.projectId, s: w.since })).projectChanges.changes;
    expect(admin.find((c) => c.kind === 'network.joined')!.hostId).toBe(w.hostIds[0]);
    expect(admin.find((c) => c.kind === 'container.created')!.payload).toMatchObject({
      container: { hostId: w.hostIds[0], hostMeshIp: expect.stringMatching(/^100\.64\./) },
    });
    expect(admin.find((c) => c.kind === 'container.removed')!.payload).toMatchObject({ hostId: w.hostIds[0] });
  });
});
