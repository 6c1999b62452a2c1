/**
 * Issue 22: the web console in a real browser (Debian's Chromium through playwright-core) against the
 * real API started like `npm start` on a fresh data directory (development key and admin token). It
 * signs in, watches a project's network fill up through the API without a reload (containers appear
 * and change state live), reads names and webhook deliveries and redelivers one, switches a process type PRIVATE, checks that a read-role token sees the
 * switch disabled and that an expired token is sent back to sign in. Screenshots go to
 * test-artifacts/console; with WEFT_README_SCREENSHOTS=1 the two README images are written to docs/images.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TokenClaims, signToken } from '../../src/auth/jwt.ts';
import { loadSigningKeys } from '../../src/auth/keys.ts';
import { parseConfig } from '../../src/config.ts';
import { readDevKey } from '../../src/node/dev-keys.ts';
import { type ApiProcess, startApiProcess } from '../support/api-process.ts';
import { ARTIFACTS, describeBrowser, launchChromium } from '../support/chromium.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = join(ARTIFACTS, 'console');

describeBrowser('web console in Chromium (issue 22)', () => {
  let dir: string;
  let api: ApiProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let admin: string;
  let mint: (claims: TokenClaims, ttl?: number) => Promise<string>;
  // A webhook receiver on loopback: answers 204 and counts what it got.
  let receiver: Server;
  let received = 0;

  const gql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  };
  const must = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql(admin, query, variables);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const shot = async (page: Page, name: string, readme = false) => {
    const file = join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    if (readme && process.env.WEFT_README_SCREENSHOTS === '1') copyFileSync(file, join(ROOT, 'docs', 'images', `${name}.png`));
  };
  // Reads for polls: one short try each (a locator's own wait would outlast the poll), null until the element exists.
  const text = (l: Locator) => l.textContent({ timeout: 500 }).catch(() => null);
  const attr = (l: Locator, name: string) => l.getAttribute(name, { timeout: 500 }).catch(() => null);
  const submitToken = async (page: Page, token: string) => {
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const signIn = async (page: Page, token: string) => {
    await page.goto(`${api.url}/console/`);
    await submitToken(page, token);
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await viteBuild({ configFile: join(ROOT, 'console', 'vite.config.ts') }); // the console of this tree, as `npm run build` makes it
    dir = mkdtempSync(join(tmpdir(), 'weft-console-'));
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => (received++, res.writeHead(204).end()));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    // Like `npm start` on a fresh clone: no key configured, so a development key and admin token in data/.
    // The webhook receiver is on loopback, which only WEBHOOK_ALLOW_PRIVATE_TARGETS lets an endpoint name.
    api = await startApiProcess({
      DATABASE_URL: `file:${join(dir, 'data', 'weft.db')}`,
      AUTH_EDDSA_PRIVATE_KEY: '',
      AUTH_HS256_SECRET: '',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    });
    admin = readFileSync(join(dir, 'data', 'dev-admin-token'), 'utf8').trim();
    const config = parseConfig({ AUTH_EDDSA_PRIVATE_KEY: readDevKey(join(dir, 'data'))!.jwk });
    const keys = await loadSigningKeys(config.auth);
    mint = (claims, ttl = 3600) => signToken(keys, config.auth, claims, ttl);
    ({ browser, close: closeBrowser } = await launchChromium());
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await api?.stop();
    await new Promise((r) => receiver?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('npm start prints the console link; /console redirects to the page', async () => {
    expect(api.output()).toMatch(/weft console on http:\/\/127\.0\.0\.1:\d+\/console\/ \(sign in with the token in .*dev-admin-token\)/);
    const redirect = await fetch(`${api.url}/console`, { redirect: 'manual' });
    expect({ status: redirect.status, location: redirect.headers.get('location') }).toEqual({ status: 308, location: '/console/' });
    const page = await fetch(`${api.url}/console/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/);
    expect(await page.text()).toContain('<div id="app"></div>');
  });

  let projectId = '';
  let appId = '';

  it('signs in, then shows containers created through the API live, with their state changes, without a reload', async () => {
    const project = await must('mutation { createProject(input: {name: "shop"}) { project { id network { id } } } }');
    projectId = project.createProject.project.id;
    appId = (
      await must('mutation($p: ID!) { createApplication(input: {projectId: $p, name: "api", processTypes: ["web", "worker"]}) { application { id } } }', {
        p: projectId,
      })
    ).createApplication.application.id;
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/weft`;
    await must('mutation($p: ID!, $u: String!) { createWebhookEndpoint(input: {projectId: $p, url: $u, events: ["container.running"]}) { endpoint { id } } }', {
      p: projectId,
      u: hook,
    });

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const refused: string[] = []; // anything the page's Content-Security-Policy blocked
    page.on('console', (m) => /Content Security Policy/i.test(m.text()) && refused.push(m.text()));
    await page.goto(`${api.url}/console/`);
    await shot(page, 'sign-in');
    await signIn(page, admin);
    await expect.poll(() => text(page.locator('.status')), { timeout: 15_000 }).toContain('shop');
    expect(page.url()).not.toContain(admin.slice(0, 20)); // the token never goes into a URL
    expect(await page.evaluate(() => sessionStorage.getItem('weft.console.token'))).toBe(admin);
    await expect.poll(() => attr(page.locator('[data-live]'), 'data-live'), { timeout: 10_000 }).toBe('live');
    await expect.poll(() => page.getByText('No container in this network yet').count()).toBe(1);
    await page.evaluate(() => ((window as any).__sameDocument = true)); // gone if the page reloads

    const hosts: string[] = [];
    for (const [name, endpoint, key] of [
      ['host-1', '192.0.2.11:51820', 'HiPZg843RR6LuXiKWYBdlGOz4JudUijV4z6on99R8w4='],
      ['host-2', '192.0.2.12:51820', 'XyZMe8BseRuww2CUUgnC8kqb5p8q7TlLtNm7HCSHWx8='],
    ]) {
      const r = await must('mutation($n: String!, $e: String!, $k: String!) { registerHost(input: {name: $n, endpoint: $e, publicKey: $k}) { host { id } } }', {
        n: name,
        e: endpoint,
        k: key,
      });
      hosts.push(r.registerHost.host.id);
    }
    const containers: string[] = [];
    for (const [type, host] of [
      ['web', hosts[0]],
      ['web', hosts[1]],
      ['worker', hosts[1]],
    ]) {
      const r = await must(
        'mutation($a: ID!, $t: String!, $h: ID!) { createContainer(input: {applicationId: $a, processType: $t, hostId: $h}) { container { id } } }',
        {
          a: appId,
          t: type,
          h: host,
        },
      );
      containers.push(r.createContainer.container.id);
    }
    const rowState = (id: string) => text(page.locator(`tr[data-container="${id}"] .chip`));
    const graphNodes = () => attr(page.locator('#topology'), 'data-nodes');
    // Created: three PENDING containers in the table and in the graph.
    for (const id of containers) await expect.poll(() => rowState(id), { timeout: 10_000 }).toBe('PENDING');
    await expect.poll(graphNodes, { timeout: 5_000 }).toContain(`${containers[2]}:container pending`);
    // The scheduler marks them running: each row and graph node turns RUNNING as its event arrives.
    for (const id of containers) await must('mutation($id: ID!) { markContainerRunning(id: $id) { container { id } } }', { id });
    for (const id of containers) await expect.poll(() => rowState(id), { timeout: 10_000 }).toBe('RUNNING');
    await expect.poll(graphNodes, { timeout: 5_000 }).toContain(`${containers[0]}:container running`);
    // Draining one shows DRAINING.
    await must('mutation($id: ID!) { drainContainer(id: $id) { id } }', { id: containers[1] });
    await expect.poll(() => rowState(containers[1]), { timeout: 10_000 }).toBe('DRAINING');
    // Both hosts are members, with their mesh IPs (admin), joined by one VXLAN peering.
    // The hosts' names and mesh IPs come from the admin `hosts` query, which may answer after the
    // containers' rows: until then a row shows the host's id (a CI run read it too early).
    const hostRows = async () => (await page.locator('table.hosts tbody tr').allTextContents()).map((r) => r.replace(/\s+/g, ' '));
    await expect
      .poll(hostRows, { timeout: 10_000 })
      .toEqual([expect.stringMatching(/^host-1100\.64\.0\.\d+/), expect.stringMatching(/^host-2100\.64\.0\.\d+/)]);
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    expect(refused).toEqual([]);
    await page.waitForTimeout(300); // let the graph settle its layout before the picture
    await shot(page, 'console-network', true);

    // Names: every private name with what it resolves to now.
    await page.getByRole('link', { name: 'Names' }).click();
    const appName = page.locator('table.names tr', { hasText: new RegExp(`^${appId}\\.`) }).first();
    await expect.poll(() => text(appName), { timeout: 10_000 }).toMatch(/10\.240\.0\.2/);
    await page.getByLabel('Container').selectOption(containers[0]);
    await expect.poll(() => text(page.locator('.env')), { timeout: 10_000 }).toContain('SCALINGO_PRIVATE_HOSTNAME');
    await shot(page, 'console-names', true);

    // Webhooks: the three container.running deliveries succeeded; redeliver sends one again.
    await page.getByRole('link', { name: 'Webhooks' }).click();
    const succeeded = page.locator('.endpoint tbody tr', { hasText: 'HTTP 204 after 1 attempt' });
    await expect.poll(() => succeeded.count(), { timeout: 15_000 }).toBe(3);
    const before = received;
    await succeeded.first().getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => text(page.getByRole('status')), { timeout: 10_000 }).toMatch(/^Redelivery \S+ is (PENDING|SUCCEEDED)\.$/);
    await expect.poll(() => received, { timeout: 15_000 }).toBe(before + 1);
    await shot(page, 'webhooks');

    // A narrow window stays readable: the tabs wrap, nothing overflows the page sideways.
    await page.setViewportSize({ width: 420, height: 800 });
    await page.getByRole('link', { name: 'Network' }).click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    await shot(page, 'narrow-network');
    await context.close();
  }, 90_000);

  it('switches a process type PRIVATE (write role) and shows the change', async () => {
    const writer = await mint({ kind: 'user', sub: 'writer', projects: { [projectId]: 'write' } });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // The hash moves to the exposure view as soon as the signed-in page has rendered, before its effects
    // run (a CI run lost that change: the route listener was not yet there, and the Network view stayed).
    await page.goto(`${api.url}/console/`);
    await page.evaluate((hash) => {
      const rendered = new MutationObserver(() => {
        if (!document.querySelector('.shell')) return;
        rendered.disconnect();
        location.hash = hash;
      });
      rendered.observe(document.getElementById('app')!, { childList: true, subtree: true });
    }, `#/${projectId}/exposure`);
    await submitToken(page, writer);
    const web = page.locator('tr[data-process="api/web"]');
    await expect.poll(() => text(web.locator('.chip')), { timeout: 10_000 }).toBe('PUBLIC');
    await page.getByRole('switch', { name: 'api web public' }).click();
    await expect.poll(() => text(web.locator('.chip')), { timeout: 10_000 }).toBe('PRIVATE');
    const check = await must('query($a: ID!) { application(id: $a) { processTypes { name exposure } } }', { a: appId });
    expect(check.application.processTypes).toContainEqual({ name: 'web', exposure: 'PRIVATE' });
    // Users do not see placement: containers sit in the hidden group, hosts without mesh IPs.
    await page.getByRole('link', { name: 'Network' }).click();
    await expect.poll(() => text(page.locator('table.hosts')), { timeout: 10_000 }).toContain('admins only');
    await shot(page, 'exposure-write');
    await context.close();
  }, 60_000);

  it('a read-role token sees the switch disabled (and the API refuses it), and an expired token is sent back to sign in', async () => {
    const reader = await mint({ kind: 'user', sub: 'reader', projects: { [projectId]: 'read' } }, 6);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // With the keyboard alone: Tab to the token field, type, Tab to the button, Enter.
    await page.goto(`${api.url}/console/#/${projectId}/exposure`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    await page.keyboard.insertText(reader); // as a paste does
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Sign in');
    await page.keyboard.press('Enter');
    const toggle = page.getByRole('switch', { name: 'api worker public' });
    await expect.poll(() => toggle.isDisabled({ timeout: 500 }).catch(() => null), { timeout: 10_000 }).toBe(true);
    expect(await page.getByText('Your role in this project is read').count()).toBe(1);
    await shot(page, 'exposure-read');
    const refused = await gql(reader, 'mutation($a: ID!) { setProcessExposure(applicationId: $a, processType: "worker", exposure: PUBLIC) { revision } }', {
      a: appId,
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Once the token has expired, the next read is refused and the page asks for a token again.
    await page.waitForTimeout(6_500);
    await page.getByRole('link', { name: 'Convergence' }).click(); // reads the network again within 5 s
    await expect.poll(() => text(page.getByRole('alert')), { timeout: 15_000 }).toMatch(/Sign in again/);
    expect(await page.getByLabel('API token').count()).toBe(1);
    expect(await page.evaluate(() => sessionStorage.getItem('weft.console.token'))).toBeNull();
    await shot(page, 'expired');
    await context.close();
  }, 60_000);
});
