/**
 * SSRF refusals: the URL check at registration (every form of a private address the URL parser
 * accepts), its GraphQL error, and the Node sender's connection-time check against DNS rebinding.
 */
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { createNodeSender } from '../../src/node/webhook-sender.ts';
import { checkWebhookUrl, isPublicAddress } from '../../src/webhooks/url-guard.ts';
import { seedWorld, startTestApi, type TestApi } from '../support/api.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { CREATE_ENDPOINT, closeAfterEach } from './support.ts';

const strict = { allowPrivateTargets: false };

const REFUSED: [string, RegExp][] = [
  ['ftp://example.com/hook', /must be http or https/],
  ['file:///etc/passwd', /must be http or https/],
  ['javascript:alert(1)', /must be http or https/],
  ['not a url', /not a valid URL/],
  ['https://user:pass@example.com/hook', /credentials/],
  ['http://localhost/hook', /local host/],
  ['http://LOCALHOST./hook', /local host/],
  ['http://api.localhost/hook', /local host/],
  ['http://metadata.google.internal/computeMetadata/v1/', /local host/],
  ['http://printer.local/', /local host/],
  ['http://router.home.arpa/', /local host/],
  ['http://intranet/hook', /single-label/],
  ['http://127.0.0.1/hook', /IPv4/],
  ['http://127.1/hook', /IPv4/],
  ['http://2130706433/hook', /IPv4/],
  ['http://0x7f.0.0.1/hook', /IPv4/],
  ['http://0177.0.0.1/hook', /IPv4/],
  ['http://0.0.0.0/hook', /IPv4/],
  ['http://10.1.2.3/hook', /IPv4/],
  ['http://172.16.0.1/hook', /IPv4/],
  ['http://172.31.255.255/hook', /IPv4/],
  ['http://192.168.1.1/hook', /IPv4/],
  ['http://169.254.169.254/latest/meta-data/', /IPv4/],
  ['http://100.64.0.1/hook', /IPv4/],
  ['http://100.127.255.254/hook', /IPv4/],
  ['http://224.0.0.1/hook', /IPv4/],
  ['http://255.255.255.255/hook', /IPv4/],
  ['http://[::1]/hook', /IPv6/],
  ['http://[::]/hook', /IPv6/],
  ['http://[fd00::1]/hook', /IPv6/],
  ['http://[fc12:3456::1]/hook', /IPv6/],
  ['http://[fe80::1]/hook', /IPv6/],
  ['http://[::ffff:127.0.0.1]/hook', /IPv6/],
  ['http://[::ffff:10.0.0.1]/hook', /IPv6/],
  ['http://[64:ff9b::a9fe:a9fe]/hook', /IPv6/],
  ['http://[2002:c0a8:0101::1]/hook', /IPv6/],
  ['http://[ff02::1]/hook', /IPv6/],
];

const ACCEPTED = [
  'https://hooks.example.com/weft',
  'http://203.0.113.7:8080/in',
  'https://8.8.8.8/x',
  'https://[2606:4700::1111]/x',
  'https://100.128.0.1/x',
  'https://172.32.0.1/x',
  'https://EXAMPLE.com/a?b=c#frag',
];

describe('webhook URL guard', () => {
  it.each(REFUSED)('refuses %s', (url, reason) => {
    expect(() => checkWebhookUrl(url, strict)).toThrow(reason);
    expect(() => checkWebhookUrl(url, strict)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it.each(ACCEPTED)('accepts %s', (url) => {
    expect(checkWebhookUrl(url, strict)).toBe(new URL(url.replace(/#.*$/, '')).toString());
  });

  it('allows private targets only when the operator says so, never other schemes or credentials', () => {
    const open = { allowPrivateTargets: true };
    expect(checkWebhookUrl('http://127.0.0.1:9999/hook', open)).toBe('http://127.0.0.1:9999/hook');
    expect(checkWebhookUrl('http://localhost/hook', open)).toBe('http://localhost/hook');
    expect(() => checkWebhookUrl('ftp://127.0.0.1/', open)).toThrow(/http or https/);
    expect(() => checkWebhookUrl('http://a:b@127.0.0.1/', open)).toThrow(/credentials/);
  });

  it('classifies resolved addresses', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '::1', '::ffff:192.168.0.1', 'fe80::1%eth0', '100.64.1.1']) expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(a), a).toBe(true);
  });
});

describe('SSRF through the API and at connection time', () => {
  let api: TestApi | undefined;
  let r: Receiver | undefined;
  closeAfterEach(
    () => [r, api],
    () => (api = r = undefined),
  );

  it('createWebhookEndpoint answers BAD_USER_INPUT with the reason, and creates nothing', async () => {
    api = await startTestApi();
    const w = await seedWorld(api, { hosts: 0 });
    for (const url of ['http://127.0.0.1:8080/hook', 'http://169.254.169.254/', 'http://localhost/', 'gopher://example.com/']) {
      const res = await api.gql(CREATE_ENDPOINT, { i: { projectId: w.projectId, url } });
      expect(res.errors?.[0].extensions?.code, url).toBe('BAD_USER_INPUT');
    }
    const res = await api.gql(CREATE_ENDPOINT, { i: { projectId: w.projectId, url: 'http://10.0.0.5/' } });
    expect(res.errors?.[0].message).toMatch(/private.*WEBHOOK_ALLOW_PRIVATE_TARGETS=true/);
    const list = await api.ok(`query($p: ID!) { project(id: $p) { webhookEndpoints { id } } }`, { p: w.projectId });
    expect(list.project.webhookEndpoints).toEqual([]);
  });

  it('the Node sender refuses a public-looking name that resolves to a private address (DNS rebinding)', async () => {
    r = await startReceiver();
    const port = new URL(r.url).port;
    // A resolver that answers like a rebinding attacker: the name looks public, the address is loopback.
    const rebinding = (_host: string, _opts: unknown, cb: (e: null, a: LookupAddress[]) => void) => cb(null, [{ address: '127.0.0.1', family: 4 }]);
    const send = createNodeSender({ allowPrivateTargets: false }, rebinding);
    const request = { url: `http://hooks.example.com:${port}/hooks`, headers: {}, body: '{}', timeoutMs: 2000 };
    await expect(send(request)).rejects.toThrow(/resolves to 127\.0\.0\.1, which is not a public address/);
    expect(r.received).toHaveLength(0);
    // With private targets allowed, the same sender shape connects (stock lookup, literal address).
    const open = createNodeSender({ allowPrivateTargets: true });
    await expect(open({ ...request, url: r.url })).resolves.toEqual({ status: 400 }); // unsigned body: the receiver refuses it
    // An address literal that the setting forbids is refused before any connection.
    await expect(send({ ...request, url: r.url })).rejects.toThrow(/IPv4/);
  });
});
