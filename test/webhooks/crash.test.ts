/**
 * No loss across a kill -9: the real server (src/node.ts) runs as a child process, is killed with
 * SIGKILL while the receiver holds a delivery open, and is started again on the same database
 * file. Every revision must arrive, in order, the interrupted one again under the same webhook-id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signToken } from '../../src/auth/jwt.ts';
import { loadSigningKeys } from '../../src/auth/keys.ts';
import { parseConfig } from '../../src/config.ts';
import { type ApiProcess, startApiProcess } from '../support/api-process.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const servers: ApiProcess[] = [];
let r: Receiver | undefined;
let dir: string | undefined;
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop('SIGKILL');
  await r?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  r = dir = undefined;
});

describe('webhooks across a kill -9 of the API', () => {
  it('re-delivers the interrupted change and loses none', { timeout: 60_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-crash-'));
    const env = {
      DATABASE_URL: `file:${join(dir, 'weft.db')}`,
      HOST: '127.0.0.1',
      AUTH_HS256_SECRET: 'crash-test-secret-of-at-least-32-bytes!!',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_BACKOFF_BASE_MS: '50',
      WEBHOOK_BACKOFF_CAP_MS: '200',
      FEED_POLL_MS: '50',
    };
    const config = parseConfig(env);
    const admin = await signToken(await loadSigningKeys(config.auth), config.auth, { kind: 'admin', sub: 'crash-test' }, 600);
    let base = '';
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await res.json()) as { data: any; errors?: unknown[] };
      if (json.errors) throw new Error(JSON.stringify(json.errors));
      return json.data;
    };

    // Hold the third distinct message open on its first attempt: that is where the server dies.
    const ids: string[] = [];
    let held: (() => void) | undefined;
    const holding = new Promise<void>((done) => (held = done));
    r = await startReceiver((m) => {
      if (!ids.includes(m.id)) ids.push(m.id);
      if (ids.indexOf(m.id) === 2 && m.seen === 1) {
        held!();
        return 'hang';
      }
      return 200;
    });

    const first = await startApiProcess(env);
    servers.push(first);
    base = first.url;
    const p = await gql(`mutation { createProject(input: { name: "crash" }) { project { id } } }`);
    const projectId = p.createProject.project.id;
    const ep = await gql(`mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id lastDeliveredRevision } } }`, {
      i: { projectId, url: r.url },
    });
    r.secrets = [ep.createWebhookEndpoint.secret];
    const since = ep.createWebhookEndpoint.endpoint.lastDeliveredRevision;
    for (let i = 1; i <= 5; i++)
      await gql(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { revision } }`, { i: { projectId, name: `app-${i}` } });

    await holding;
    first.child.kill('SIGKILL');
    await new Promise((done) => first.child.once('exit', done));
    expect(first.child.signalCode).toBe('SIGKILL');
    const heldId = ids[2];

    const second = await startApiProcess(env);
    servers.push(second);
    base = second.url;
    for (let i = 6; i <= 8; i++)
      await gql(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { revision } }`, { i: { projectId, name: `app-${i}` } });
    const feed = await gql(`query($p: ID!, $s: Int!) { projectChanges(projectId: $p, since: $s) { changes { revision } } }`, { p: projectId, s: since });
    const expected: number[] = feed.projectChanges.changes.map((c: { revision: number }) => c.revision);
    expect(expected).toHaveLength(8);

    await r.until(() => r!.delivered().length >= expected.length, 20_000);
    expect(r.rejected).toEqual([]);
    expect(r.delivered()).toEqual(expected); // every revision, in order, each acknowledged once
    const arrivals = r.received.map((m) => m.revision);
    expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
    const again = r.received.filter((m) => m.id === heldId);
    expect(again.map((m) => m.status)).toEqual(['hang', 200]); // the same webhook-id, sent again after the restart
    const log = await gql(
      `query($id: ID!) { webhookEndpoint(id: $id) { lastDeliveredRevision deliveries(first: 20) { edges { node { revision status attempts } } } } }`,
      { id: ep.createWebhookEndpoint.endpoint.id },
    );
    expect(log.webhookEndpoint.lastDeliveredRevision).toBe(expected.at(-1));
    const heldRow = log.webhookEndpoint.deliveries.edges.map((e: { node: any }) => e.node).find((d: { revision: number }) => d.revision === again[0].revision);
    expect(heldRow).toEqual({ revision: again[0].revision, status: 'SUCCEEDED', attempts: 2 });
    second.child.kill('SIGTERM');
    await new Promise((done) => second.child.once('exit', done));
  });
});
