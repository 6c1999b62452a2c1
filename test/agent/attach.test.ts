import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTACHED, fakeAgent, STATES } from '../support/reconcile-scenarios';
import { AttachApiError, attachContainer, detachContainer } from '../../agent/runtime/client';
import { main as cli } from '../../agent/runtime/cli';
import { startAttachServer } from '../../agent/runtime/server';
import { AttachmentStore } from '../../agent/runtime/store';

const A1 = 'ctr-a0000001';
const PATH = ATTACHED[A1];

describe('attach API over a Unix socket (fake host)', () => {
  let dir: string;
  let server: Server;
  let agent: ReturnType<typeof fakeAgent>;
  let socket: string;

  const start = async () => {
    const store = new AttachmentStore(dir);
    server = await startAttachServer({
      socketPath: socket,
      store,
      getConfig: () => STATES.twoNetworks,
      pathExists: (p) => p.startsWith('/proc/'),
      reconcile: () => agent.rec.reconcile(STATES.twoNetworks, store.paths()),
    });
    return store;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-attach-'));
    socket = join(dir, 'attach.sock');
    agent = fakeAgent();
    await start();
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('attach programs the veth and returns the environment and resolver', async () => {
    const r = await attachContainer(socket, A1, PATH);
    expect(r).toMatchObject({
      ip: '10.240.0.11',
      prefixLen: 22,
      mtu: 1370,
      interface: 'eth1',
      resolvConf: 'nameserver 10.240.0.1',
      env: {
        SCALINGO_APPLICATION_ID: 'ap-app1',
        SCALINGO_PRIVATE_NETWORK_ID: 'pn-a',
        SCALINGO_PRIVATE_HOSTNAME: '1.web.ap-app1.pn-a.private-network.internal',
      },
    });
    expect(agent.fake.named.get('t1pn-100')!.links.get('t1pnc-a0000001')).toMatchObject({ master: 't1pnb-100', mtu: 1370 });
    const again = await agent.rec.reconcile(STATES.twoNetworks, { [A1]: PATH });
    expect(again.ops).toEqual([]);
  });

  it('coded errors: unknown container, container of another host, missing netns, bad body', async () => {
    await expect(attachContainer(socket, 'ctr-ffffffff', PATH)).rejects.toMatchObject({ status: 404, code: 'CONTAINER_UNKNOWN' });
    await expect(attachContainer(socket, 'ctr-a0000002', PATH)).rejects.toMatchObject({ status: 409, code: 'CONTAINER_NOT_ON_THIS_HOST' });
    await expect(attachContainer(socket, A1, '/nope/ns')).rejects.toMatchObject({ status: 400, code: 'NETNS_NOT_FOUND' });
    await expect(attachContainer(socket, '', 'relative')).rejects.toBeInstanceOf(AttachApiError);
  });

  it('a kernel failure answers NETWORK_NOT_READY with the reasons', async () => {
    agent.fake.failOn = /type veth/;
    await expect(attachContainer(socket, A1, PATH)).rejects.toMatchObject({ status: 503, code: 'NETWORK_NOT_READY' });
  });

  it('attachments survive a restart: no second veth, nothing lost', async () => {
    await attachContainer(socket, A1, PATH);
    await new Promise((r) => server.close(r));
    const store = await start();
    expect(store.paths()).toEqual({ [A1]: PATH });
    const pass = await agent.rec.reconcile(STATES.twoNetworks, store.paths());
    expect(pass.ops).toEqual([]);
    await attachContainer(socket, A1, PATH); // the runtime retries: idempotent
    expect([...agent.fake.named.get('t1pn-100')!.links.keys()].filter((n) => n.includes('pnc-'))).toEqual(['t1pnc-a0000001']);
  });

  it('detach tears the veth down; detaching twice is fine', async () => {
    await attachContainer(socket, A1, PATH);
    expect(await detachContainer(socket, A1)).toEqual({ containerId: A1, detached: true });
    expect(agent.fake.named.get('t1pn-100')!.links.has('t1pnc-a0000001')).toBe(false);
    expect(await detachContainer(socket, A1)).toEqual({ containerId: A1, detached: false });
  });

  it('the CLI prints KEY=value lines with --env and fails with the code', async () => {
    let out = '';
    let err = '';
    const w = (f: (s: string) => void) => ({ write: (s: string) => f(s) });
    expect(
      await cli(
        ['attach', A1, PATH, '--env', '--socket', socket],
        w((s) => (out += s)),
        w((s) => (err += s)),
      ),
    ).toBe(0);
    expect(out).toContain('SCALINGO_PRIVATE_NETWORK_ID=pn-a\n');
    expect(out).toContain('# resolv.conf: nameserver 10.240.0.1');
    expect(
      await cli(
        ['attach', 'ctr-ffffffff', PATH, '--socket', socket],
        w((s) => (out += s)),
        w((s) => (err += s)),
      ),
    ).toBe(1);
    expect(err).toMatch(/^CONTAINER_UNKNOWN/);
  });
});

describe('attachment store', () => {
  it('prunes attachments whose namespace is gone, and persists that', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-store-'));
    const s = new AttachmentStore(dir);
    s.set('ctr-1', '/proc/1/ns/net');
    s.set('ctr-2', '/proc/2/ns/net');
    expect(s.prune((p) => p === '/proc/1/ns/net')).toEqual(['ctr-2']);
    expect(new AttachmentStore(dir).paths()).toEqual({ 'ctr-1': '/proc/1/ns/net' });
    rmSync(dir, { recursive: true, force: true });
  });
});
