/**
 * The API on Cloudflare Workers (issue 9): the real Worker in local workerd over remote libSQL
 * (the test-only Hrana server), migrated with `npm run db:migrate`'s script. The shared scenario
 * runs on Node and on the Worker and must answer the same; then the authorization matrix's key
 * cells, over HTTP and over SSE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_MIGRATION } from '../../src/health.ts';
import { createApiClient } from '../../agent/api/client.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi } from '../support/api.ts';
import { subscribeSse } from '../support/sse.ts';
import { runSharedScenario } from './shared-scenario.ts';
import { startWorkerApi, type WorkerApi } from './worker-api.ts';

let worker: WorkerApi;
beforeAll(async () => {
  worker = await startWorkerApi();
});
afterAll(async () => worker?.close());

describe('the API on Workers', () => {
  it('serves health and JWKS, and its database traffic goes through Hrana', async () => {
    const before = worker.hrana.requests;
    const health = await fetch(`${worker.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
    expect(worker.hrana.requests).toBeGreaterThan(before);
    const jwks = (await (await fetch(`${worker.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([worker.keys.kid]);
  });

  it('answers /livez and /readyz as the Node API does, with an x-request-id on every answer, Yoga answers included', async () => {
    const live = await fetch(`${worker.url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
    expect(live.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ready = await fetch(`${worker.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, database: 'ok', migrations: { expected: LATEST_MIGRATION, current: true } });
    const graphql = await fetch(`${worker.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(graphql.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the web console as static assets at /console/ (issue 22), and /graphql still reaches the Worker', async () => {
    const redirect = await fetch(`${worker.url}/console`, { redirect: 'manual' });
    expect({ status: redirect.status, location: redirect.headers.get('location') }).toEqual({ status: 307, location: '/console/' });
    const page = await fetch(`${worker.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/); // build/public/_headers
    const html = await page.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${worker.url}${script}`);
    expect({ status: js.status, type: js.headers.get('content-type') }).toEqual({ status: 200, type: expect.stringMatching(/javascript/) });
    const graphql = await fetch(`${worker.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(await graphql.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers the shared scenario exactly as the Node API does', async () => {
    const node = await startTestApi();
    try {
      const onNode = await runSharedScenario(node);
      const onWorker = await runSharedScenario(worker);
      expect(onWorker).toEqual(onNode);
      expect(onWorker.length).toBeGreaterThan(25);
      // Spot checks, so that "equal" cannot mean "equally broken".
      expect(onWorker).toContainEqual({ fill: { code: 'NETWORK_FULL' } });
      expect(onWorker).toContainEqual({ error: { code: 'CONFLICT', data: null } });
      expect(onWorker).toContainEqual({ gone: 'NOT_FOUND' });
      expect(JSON.stringify(onWorker)).toContain('"rcode":"NXDOMAIN"');
    } finally {
      await node.close();
    }
  });

  describe('authorization, key cells', () => {
    let world: { projectA: string; projectB: string; host1: string; host2: string; agent1: string; userB: string };
    beforeAll(async () => {
      const project = async (name: string) =>
        (await worker.ok(`mutation($n: String!) { createProject(input: { name: $n }) { project { id } } }`, { n: name })).createProject.project.id as string;
      const host = async (name: string, n: number) => {
        const r = await worker.ok(`mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id } agentToken } }`, {
          i: { name, endpoint: `192.0.2.${n}:51820`, publicKey: Buffer.alloc(32, n).toString('base64') },
        });
        return { id: r.registerHost.host.id as string, token: r.registerHost.agentToken as string };
      };
      const [projectA, projectB, h1, h2] = [await project('auth-a'), await project('auth-b'), await host('auth-h1', 41), await host('auth-h2', 42)];
      world = {
        projectA,
        projectB,
        host1: h1.id,
        host2: h2.id,
        agent1: h1.token,
        userB: await worker.token({ kind: 'user', sub: 'b', projects: { [projectB]: 'write' } }),
      };
    });

    const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code ?? 'ok';

    it('anonymous → UNAUTHENTICATED', async () => {
      expect(code(await worker.gql(`query($p: ID!) { project(id: $p) { id } }`, { p: world.projectA }, null))).toBe('UNAUTHENTICATED');
      expect(code(await worker.gql(`mutation { createProject(input: { name: "anon" }) { revision } }`, {}, null))).toBe('UNAUTHENTICATED');
    });

    it('a user of B on A → NOT_FOUND (no existence leak), on B → ok', async () => {
      expect(code(await worker.gql(`query($p: ID!) { project(id: $p) { id } }`, { p: world.projectA }, world.userB))).toBe('NOT_FOUND');
      expect(code(await worker.gql(`query($p: ID!) { project(id: $p) { id } }`, { p: 'prj-00000000-0000-4000-8000-000000000000' }, world.userB))).toBe(
        'NOT_FOUND',
      );
      expect(code(await worker.gql(`query($p: ID!) { project(id: $p) { id } }`, { p: world.projectB }, world.userB))).toBe('ok');
    });

    it('the agent of host 1 on host 2 → FORBIDDEN, on host 1 → ok; the same over SSE', async () => {
      expect(code(await worker.gql(`query($h: ID!) { hostConfig(hostId: $h) { revision } }`, { h: world.host2 }, world.agent1))).toBe('FORBIDDEN');
      expect(code(await worker.gql(`query($h: ID!) { hostConfig(hostId: $h) { revision } }`, { h: world.host1 }, world.agent1))).toBe('ok');
      const sub = `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type revision } }`;
      const refused = await subscribeSse(worker, sub, { h: world.host2, s: 0 }, world.agent1, 3000);
      expect(refused.ended).toBe(true);
      expect(JSON.stringify(refused.events)).toContain('FORBIDDEN');
      const anonymous = await subscribeSse(worker, sub, { h: world.host1, s: 0 }, null, 3000);
      expect(JSON.stringify(anonymous.events)).toContain('UNAUTHENTICATED');
      const allowed = await subscribeSse(worker, sub, { h: world.host1, s: 0 }, world.agent1, 5000);
      expect(allowed.events.find((e) => e.event === 'next')?.data).toMatchObject({ data: { hostChanges: { type: 'CHANGE' } } });
    });
  });

  it("takes the agent's status report on POST /agent/report (issue 17), refusing another host's agent as on Node", async () => {
    const ids = await seedWorld(worker, { name: 'reports' });
    const [own, other] = ids.hostIds;
    const token = await worker.token({ kind: 'agent', sub: `agent:${own}`, host: own, ver: 1 });
    const c = await worker.ok(CREATE_CONTAINER, { i: { applicationId: ids.applicationId, processType: 'web', hostId: own } });
    const client = createApiClient(worker.url, token);
    await client.report({ hostId: own, appliedRevision: c.createContainer.revision, networks: [{ networkId: ids.networkId, healthy: true }] });
    expect((await worker.ok(`query($id: ID!) { host(id: $id) { appliedRevision } }`, { id: own })).host.appliedRevision).toBe(c.createContainer.revision);
    await expect(client.report({ hostId: other, appliedRevision: 0 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
