/**
 * Issue 13, "Harden the API edge": webhook SSRF gaps. IPv6 ranges that embed, translate or tunnel
 * to IPv4 (IPv4-translated, local-use NAT64, Teredo), the discard and documentation ranges,
 * `localhost.localdomain`, and IP literals reaching the Node sender — which never calls `lookup`
 * for a literal, so the DNS-time guard alone would not see them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookWorker } from '../../src/node/webhook-worker.ts';
import { createNodeSender } from '../../src/node/webhook-sender.ts';
import { checkWebhookUrl, isPublicAddress } from '../../src/webhooks/url-guard.ts';
import { seedWorld, startTestApi, type TestApi } from '../support/api.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { CREATE_ENDPOINT, DELIVERIES, FAST, createEndpoint, startWorker } from './support.ts';

const strict = { allowPrivateTargets: false };

const REFUSED: [string, RegExp][] = [
  ['http://[::ffff:0:7f00:1]/', /IPv6/], // IPv4-translated 127.0.0.1
  ['http://[::ffff:0:808:808]/', /IPv6/], // IPv4-translated, even of a public address
  ['http://[64:ff9b:1::7f00:1]/', /IPv6/], // local-use NAT64
  ['http://[64:ff9b:1:ffff:ffff::]/', /IPv6/], // anywhere in its /48
  ['http://[2001::1]/', /IPv6/], // Teredo
  ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', /IPv6/],
  ['http://[100::1]/', /IPv6/], // discard-only
  ['http://[2001:db8::1]/', /IPv6/], // documentation
  ['http://[3fff::1]/', /IPv6/], // documentation (RFC 9637)
  ['http://localhost.localdomain/', /local host/],
  ['http://LOCALHOST.LOCALDOMAIN./', /local host/],
  ['http://db.localdomain/', /local host/],
  ['http://localhost6.localdomain6/', /local host/],
  ['http://localhost./', /local host/],
  ['http://localhost../', /local host/],
];

const ACCEPTED = [
  'https://[2606:4700::1111]/x',
  'https://[2001:4860:4860::8888]/x', // 2001:4860::/32 is not Teredo's 2001::/32
  'https://[::ffff:8.8.8.8]/x', // IPv4-mapped public address
  'https://[64:ff9b::808:808]/x', // well-known NAT64 prefix, public IPv4
  'https://[64:ff9b:2::1]/x', // beside the local-use /48
  'https://[2002:808:808::1]/x', // 6to4 of a public address
  'https://localdomain.example.com/x',
];

describe('issue 13: URL guard ranges', () => {
  it.each(REFUSED)('refuses %s', (url, reason) => {
    expect(() => checkWebhookUrl(url, strict)).toThrow(reason);
    expect(() => checkWebhookUrl(url, strict)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it.each(ACCEPTED)('accepts %s', (url) => {
    expect(checkWebhookUrl(url, strict)).toBe(new URL(url).toString());
  });

  it('classifies the same ranges as resolved addresses', () => {
    for (const a of ['::ffff:0:7f00:1', '64:ff9b:1::a00:1', '2001::', '2001:0:ffff::1', '100::1', '100::ffff:ffff:ffff:ffff', '2001:db8::5', '::ffff:0:0:0'])
      expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['2606:4700::1111', '2001:4860:4860::8888', '100:0:0:1::1', '2001:1::1', '64:ff9b::808:808']) expect(isPublicAddress(a), a).toBe(true);
  });
});

describe('issue 13: SSRF through the API and the sender', () => {
  let api: TestApi | undefined;
  let worker: WebhookWorker | undefined;
  let r: Receiver | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await worker?.close();
    await r?.close();
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    api = worker = r = dir = undefined;
  });

  const HEADLINE = ['http://[::ffff:0:7f00:1]/', 'http://[64:ff9b:1::7f00:1]/', 'http://[2001::7f00:1]/', 'http://localhost.localdomain/'];
  const UPDATE = `mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { id url } } }`;
  const LIST = `query($p: ID!) { project(id: $p) { webhookEndpoints { id url } } }`;

  it('createWebhookEndpoint and updateWebhookEndpoint refuse the new ranges with BAD_USER_INPUT and write nothing', async () => {
    api = await startTestApi();
    const w = await seedWorld(api, { hosts: 0 });
    for (const url of HEADLINE) {
      const res = await api.gql(CREATE_ENDPOINT, { i: { projectId: w.projectId, url } });
      expect(res.errors?.[0].extensions?.code, url).toBe('BAD_USER_INPUT');
    }
    expect((await api.ok(LIST, { p: w.projectId })).project.webhookEndpoints).toEqual([]);

    const ep = await createEndpoint(api, w.projectId, 'https://hooks.example.com/weft');
    for (const url of HEADLINE) {
      const res = await api.gql(UPDATE, { i: { id: ep.id, url } });
      expect(res.errors?.[0].extensions?.code, url).toBe('BAD_USER_INPUT');
    }
    expect((await api.ok(LIST, { p: w.projectId })).project.webhookEndpoints).toEqual([{ id: ep.id, url: 'https://hooks.example.com/weft' }]);
  });

  it('the Node sender refuses a literal private address itself, without a lookup and before connecting', async () => {
    r = await startReceiver();
    const port = new URL(r.url).port;
    const lookups: string[] = [];
    const send = createNodeSender(strict, (host, _o, cb) => {
      lookups.push(host);
      cb(null, [{ address: '93.184.216.34', family: 4 }]);
    });
    for (const url of [
      `http://127.0.0.1:${port}/hooks`,
      `http://[::1]:${port}/`,
      `http://[::ffff:0:7f00:1]:${port}/`,
      `http://[64:ff9b:1::7f00:1]:${port}/`,
      `http://[2001::1]:${port}/`,
    ]) {
      await expect(send({ url, headers: {}, body: '{}', timeoutMs: 2000 }), url).rejects.toMatchObject({
        code: 'EWEBHOOKPRIVATE',
        message: expect.stringMatching(/is a private, loopback or reserved IPv[46] address/),
      });
    }
    expect(lookups).toEqual([]);
    expect(r.received).toHaveLength(0);
  });

  it('a URL registered while private targets were allowed is refused at delivery once they are not', async () => {
    r = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'weft-issue13-'));
    const dbFile = join(dir, 'weft.db');
    const open = await startTestApi({ ...FAST }, { dbFile });
    const w = await seedWorld(open, { hosts: 0 });
    const ep = await createEndpoint(open, w.projectId, r.url);
    await open.close();

    const { WEBHOOK_ALLOW_PRIVATE_TARGETS: _, ...strictEnv } = FAST;
    api = await startTestApi({ ...strictEnv, WEBHOOK_MAX_ATTEMPTS: '1' }, { dbFile });
    worker = startWorker(api);
    await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id } } }`, {
      i: { projectId: w.projectId, name: 'late' },
    });
    let nodes: { status: string; lastError: string | null }[] = [];
    for (let i = 0; i < 100 && !nodes.some((n) => n.status === 'DEAD'); i++) {
      await new Promise((s) => setTimeout(s, 50));
      nodes = (await api.ok(DELIVERIES, { id: ep.id, s: null })).webhookEndpoint.deliveries.edges.map((e: { node: unknown }) => e.node);
    }
    expect(nodes.find((n) => n.status === 'DEAD')?.lastError).toMatch(/127\.0\.0\.1 is a private, loopback or reserved IPv4 address/);
    expect(r.received).toHaveLength(0);
  });
});
