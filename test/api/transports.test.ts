import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ApiProcess, startApiProcess } from '../support/api-process.ts';
import { type ApiServer, fakeKey, newEdKey, startApiServer } from '../support/api.ts';
import { fragmentFanOut } from '../support/structural-attacks.ts';

// Two API processes over one libSQL file: one in this process, one a real child process.
let dir: string;
let inProcess: ApiServer;
let child: ApiProcess;
let admin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-transports-'));
  const env = { DATABASE_URL: `file:${join(dir, 'weft.db')}`, AUTH_EDDSA_PRIVATE_KEY: await newEdKey(), FEED_POLL_MS: '100' };
  inProcess = await startApiServer(env);
  child = await startApiProcess(env);
  admin = inProcess.admin;
});

afterAll(async () => {
  await child?.stop();
  await inProcess?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(url: string, query: string, variables: Record<string, unknown> = {}) {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function world(url: string, name: string) {
  const p = await post(url, `mutation($n: String!) { createProject(input: { name: $n }) { project { id } } }`, { n: name });
  const a = await post(url, `mutation($p: ID!) { createApplication(input: { projectId: $p, name: "api" }) { application { id } } }`, {
    p: p.createProject.project.id,
  });
  const h = await post(
    url,
    `mutation($n: String!, $k: String!) { registerHost(input: { name: $n, endpoint: "192.0.2.1:51820", publicKey: $k }) { host { id } agentToken } }`,
    { n: `${name}-h`, k: fakeKey(name.length) },
  );
  return { appId: a.createApplication.application.id as string, hostId: h.registerHost.host.id as string, agentToken: h.registerHost.agentToken as string };
}

const createOn = (url: string, appId: string, hostId: string) =>
  post(url, `mutation($a: ID!, $h: ID!) { createContainer(input: { applicationId: $a, processType: "web", hostId: $h }) { container { id } } }`, {
    a: appId,
    h: hostId,
  });
const SUB = `subscription($h: ID!, $s: Int!) { hostChanges(hostId: $h, since: $s) { type revision change { kind } } }`;

/** Subscribes with either official client and resolves with the kinds of the first `n` CHANGE events. */
function firstKinds(
  client: { subscribe: (payload: any, sink: any) => () => void },
  payload: { query: string; variables: Record<string, unknown> },
  n: number,
): Promise<string[]> {
  const kinds: string[] = [];
  return new Promise((resolve, reject) => {
    const stop = client.subscribe(payload, {
      next: (msg: any) => {
        if (msg.errors) return reject(new Error(JSON.stringify(msg.errors)));
        if (msg.data.hostChanges.type === 'CHANGE') kinds.push(msg.data.hostChanges.change.kind);
        if (kinds.length === n) {
          stop();
          resolve(kinds);
        }
      },
      error: reject,
      complete: () => {},
    });
  });
}

describe('transports and replicas', () => {
  it('graphql-sse client with a bearer header gets a change made through the other process', async () => {
    const w = await world(child.url, 'sse');
    const snap = await post(inProcess.url, `query($h: ID!) { hostConfig(hostId: $h) { revision } }`, { h: w.hostId });
    const client = createSseClient({ url: `${inProcess.url}/graphql`, headers: { authorization: `Bearer ${w.agentToken}` }, retryAttempts: 0 });
    const done = firstKinds(client, { query: SUB, variables: { h: w.hostId, s: snap.hostConfig.revision } }, 2);
    await new Promise((r) => setTimeout(r, 100));
    await createOn(child.url, w.appId, w.hostId); // written by the child process
    const kinds = await done;
    client.dispose();
    expect(kinds).toEqual(['network.joined', 'container.created']);
  });

  it('graphql-ws client with a bearer header on the upgrade gets a change made through the other process', async () => {
    const w = await world(inProcess.url, 'ws');
    const snap = await post(child.url, `query($h: ID!) { hostConfig(hostId: $h) { revision } }`, { h: w.hostId });
    const token = w.agentToken;
    class BearerWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { authorization: `Bearer ${token}` } });
      }
    }
    const client = createWsClient({ url: `${child.url.replace('http', 'ws')}/graphql`, webSocketImpl: BearerWebSocket, retryAttempts: 0 });
    const done = firstKinds(client, { query: SUB, variables: { h: w.hostId, s: snap.hostConfig.revision } }, 2);
    await new Promise((r) => setTimeout(r, 200));
    await createOn(inProcess.url, w.appId, w.hostId); // written by this process, read by the child
    const kinds = await done;
    await client.dispose();
    expect(kinds).toEqual(['network.joined', 'container.created']);
  });

  it('issue 13: graphql-ws applies the structural limits too (fan-out and over-nesting refused with a code)', async () => {
    const client = createWsClient({ url: `${inProcess.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const first = (query: string) =>
      new Promise<any>((resolve) => {
        client.subscribe(
          { query },
          { next: (m: any) => resolve(m.errors?.[0] ?? m), error: (e: any) => resolve(Array.isArray(e) ? e[0] : e), complete: () => resolve(null) },
        );
      });
    expect((await first(fragmentFanOut(8))).extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' });
    expect((await first(`${'{ a '.repeat(2000)}${'}'.repeat(2000)}`)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'nesting' });
    await client.dispose();
  });

  it('refuses an agent token for another host on both transports', async () => {
    const a = await world(inProcess.url, 'mine');
    const b = await world(inProcess.url, 'theirs');
    const client = createSseClient({ url: `${inProcess.url}/graphql`, headers: { authorization: `Bearer ${a.agentToken}` }, retryAttempts: 0 });
    const error = await new Promise<any>((resolve) => {
      client.subscribe(
        { query: SUB, variables: { h: b.hostId, s: 0 } },
        { next: (m: any) => resolve(m.errors?.[0]), error: resolve, complete: () => resolve(null) },
      );
    });
    client.dispose();
    expect(error?.extensions?.code).toBe('FORBIDDEN');
  });
});
