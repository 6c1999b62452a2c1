import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../agent/api/client.ts';
import { startFollower } from '../../agent/api/follower.ts';
import type { HostConfig } from '../../protocol/model.ts';
import { fakeKey, startApiServer, startTestApi } from '../support/api.ts';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** The API on a loopback port; `gql` throws on errors and can be pointed elsewhere by the test. */
async function api(env: Record<string, string> = {}) {
  const server = await startApiServer({ FEED_POLL_MS: '100', ...env });
  cleanup.push(() => server.close());
  return { ...server, gql: server.ok };
}

const normalize = (c: HostConfig) => ({
  ...c,
  revision: 0,
  networks: c.networks.map((n) => ({ ...n, containers: [...n.containers].sort((a, b) => a.id.localeCompare(b.id)) })),
});

async function until(check: () => boolean | Promise<boolean>, ms = 8000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

describe('agent feed follower against a real API', () => {
  it('keeps its model equal to a fresh snapshot through random changes, a RESYNC and an API restart', async () => {
    const a = await api();
    const p = await a.gql(`mutation { createProject(input: { name: "p" }) { project { id } } }`);
    const app = await a.gql(`mutation($p: ID!) { createApplication(input: { projectId: $p, name: "a" }) { application { id } } }`, {
      p: p.createProject.project.id,
    });
    const appId = app.createApplication.application.id;
    const hosts: { id: string; token: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await a.gql(
        `mutation($n: String!, $k: String!) { registerHost(input: { name: $n, endpoint: "192.0.2.1:51820", publicKey: $k }) { host { id } agentToken } }`,
        { n: `h${i}`, k: fakeKey(i + 1) },
      );
      hosts.push({ id: h.registerHost.host.id, token: h.registerHost.agentToken });
    }
    const me = hosts[0];
    const client = createApiClient(a.url, me.token);
    const models: HostConfig[] = [];
    const logs: string[] = [];
    const follower = startFollower({ client, hostId: me.id, onModel: (m) => models.push(m), log: (l) => logs.push(l), backoffBaseMs: 50, backoffCapMs: 300 });
    cleanup.push(() => follower.stop());
    const converged = async () => {
      const fresh = (await a.gql(`query($h: ID!) { hostConfig(hostId: $h) { config } }`, { h: me.id })).hostConfig.config;
      const mine = follower.current();
      return !!mine && JSON.stringify(normalize(mine)) === JSON.stringify(normalize(fresh)) && mine.revision >= fresh.revision;
    };

    const live: string[] = [];
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const step = async () => {
      const r = rand(10);
      if (r < 4 || live.length === 0) {
        const c = await a.gql(
          `mutation($a: ID!, $h: ID!, $t: String!) { createContainer(input: { applicationId: $a, processType: $t, hostId: $h }) { container { id } } }`,
          { a: appId, h: hosts[rand(3)].id, t: rand(2) ? 'web' : 'worker' },
        );
        live.push(c.createContainer.container.id);
      } else if (r < 7) {
        await a.gql(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: live[rand(live.length)] }).catch(() => {});
      } else if (r < 8) {
        await a.gql(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: live[rand(live.length)] });
      } else {
        const [id] = live.splice(rand(live.length), 1);
        await a.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id });
      }
    };
    for (let i = 0; i < 40; i++) await step();
    await until(converged);

    // While this API is down, another process over the same file makes changes and compacts the
    // feed past the follower's revision: on reconnect the follower must RESYNC, then agree again.
    await a.stop();
    const revisionBefore = follower.current()!.revision;
    const other = await startTestApi({}, { dbFile: a.dbFile });
    cleanup.push(() => other.close());
    const viaOther = a.gql;
    a.gql = (q, v) => other.ok(q, v);
    for (let i = 0; i < 10; i++) await step();
    await other.ok(`mutation { compactFeed(throughRevision: 1000000) { compactedThrough } }`);
    a.gql = viaOther;
    await a.restart();
    for (let i = 0; i < 10; i++) await step();
    await until(converged);
    expect(follower.current()!.revision).toBeGreaterThan(revisionBefore);
    expect(logs.some((l) => l.includes('RESYNC'))).toBe(true);
    // revisions handed to onModel never go backwards
    const revs = models.map((m) => m.revision);
    expect(revs).toEqual([...revs].sort((x, y) => x - y));
  });
});

describe('agent feed follower: an API on a database that does not know the host', () => {
  it('stops watching, lists again, and reports the new generation it was refused by', async () => {
    const a = await api();
    const h = await a.gql(
      `mutation($k: String!) { registerHost(input: { name: "h", endpoint: "192.0.2.1:51820", publicKey: $k }) { host { id } agentToken } }`,
      { k: fakeKey(1) },
    );
    const first = ((await (await fetch(`${a.url}/healthz`)).json()) as { generation: string }).generation;
    const client = createApiClient(a.url, h.registerHost.agentToken);
    const refused: string[] = [];
    const models: HostConfig[] = [];
    const follower = startFollower({
      client,
      hostId: h.registerHost.host.id,
      onModel: (m) => models.push(m),
      onRefused: (g) => refused.push(g),
      backoffBaseMs: 50,
      backoffCapMs: 200,
    });
    cleanup.push(() => follower.stop());
    await until(() => models.length > 0);
    expect(models[0].generation).toBe(first);
    // The same port and signing key, an empty database: the token verifies, the host is unknown.
    await a.stop();
    const b = await startApiServer({ PORT: String(a.port), AUTH_EDDSA_PRIVATE_KEY: a.config.auth.eddsaPrivateKey!, FEED_POLL_MS: '100' });
    cleanup.push(() => b.close());
    const second = ((await (await fetch(`${b.url}/healthz`)).json()) as { generation: string }).generation;
    expect(second).not.toBe(first);
    await until(() => refused.length > 0);
    expect(refused[0]).toBe(second);
    expect(models.every((m) => m.generation === first)).toBe(true); // nothing was listed from the empty database
  });
});
