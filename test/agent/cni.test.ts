/**
 * weft-cni against the real attach API over a fake host (no root): each CNI command as a runtime
 * runs it (environment + stdin), what it prints, and what the agent then holds. The kernel half,
 * with podman, is test/e2e/podman-cni.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { startAttachServer } from '../../agent/runtime/server';
import { AttachmentStore } from '../../agent/runtime/store';
import { conflistFor, syncCniConfigs } from '../../agent/runtime/cni-conf';
import { runPlugin } from '../../cni/plugin.ts';
import { CODES } from '../../cni/errors.ts';
import { ATTACHED, fakeAgent, STATES } from '../support/reconcile-scenarios';

const A1 = 'ctr-a0000001'; // pn-a, on this host, 10.240.0.11
const NETNS = ATTACHED[A1];
const A1_MAC = STATES.twoNetworks.networks[0].containers[0].mac;

describe('weft-cni over the attach API (fake host)', () => {
  let dir: string;
  let server: Server;
  let agent: ReturnType<typeof fakeAgent>;
  let store: AttachmentStore;
  let socket: string;
  let model: HostConfig | null;

  const conf = (extra: Record<string, unknown> = {}, v = '1.0.0') =>
    JSON.stringify({ cniVersion: v, name: 'pn-a', type: 'weft-cni', network: 'pn-a', socket, timeoutMs: 0, ...extra });
  const env = (command: string, extra: Record<string, string> = {}) => ({
    CNI_COMMAND: command,
    CNI_CONTAINERID: 'podman0001',
    CNI_NETNS: NETNS,
    CNI_IFNAME: 'eth0',
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAME=web;MAC=${A1_MAC}`,
    CNI_PATH: '/opt/cni/bin',
    ...extra,
  });
  const run = async (e: Record<string, string>, stdin: string) => {
    const r = await runPlugin(e, stdin, async () => {});
    return { ...r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
  };
  const veths = () => [...(agent.fake.named.get('t1pn-100')?.links.keys() ?? [])].filter((n) => n.includes('pnc-'));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-cni-'));
    socket = join(dir, 'attach.sock');
    agent = fakeAgent();
    model = STATES.twoNetworks;
    store = new AttachmentStore(dir);
    let last: { report: any; at: Date } | null = null;
    server = await startAttachServer({
      socketPath: socket,
      store,
      getConfig: () => model,
      pathExists: (p) => p.startsWith('/proc/'),
      reconcile: async () => {
        const report = await agent.rec.reconcile(model!, store.paths());
        last = { report, at: new Date() };
        return report;
      },
      lastPass: () => last,
    });
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('ADD by MAC attaches with the runtime’s interface name and prints a 1.0.0 result; ADD again changes nothing', async () => {
    const r = await run(env('ADD'), conf());
    expect(r).toMatchObject({ exitCode: 0 });
    expect(r.json).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: A1_MAC, sandbox: NETNS }],
      ips: [{ address: '10.240.0.11/22', gateway: '10.240.0.1', interface: 0 }],
      routes: [{ dst: '10.240.0.0/22' }],
      dns: { nameservers: ['10.240.0.1'] },
    });
    expect(veths()).toEqual(['t1pnc-a0000001']);
    expect(agent.fake.byPath.get(NETNS)!.links.has('eth0')).toBe(true);
    expect(store.entry(A1)).toMatchObject({ netnsPath: NETNS, ifName: 'eth0', cni: { containerId: 'podman0001', ifName: 'eth0', networkId: 'pn-a' } });
    const calls = agent.fake.calls.length;
    const again = await run(env('ADD'), conf()); // a runtime that crashed before recording the result
    expect(again.json).toEqual(r.json);
    expect(agent.fake.calls.length - calls).toBeGreaterThan(0); // it observed…
    expect(agent.fake.calls.slice(calls).some((c) => c.argv.includes('-batch'))).toBe(false); // …and changed nothing
  });

  it('ADD by IP (podman --ip), by WEFT_CONTAINER_ID and by a container named ctr-… find the same container', async () => {
    for (const args of ['IP=10.240.0.11', `WEFT_CONTAINER_ID=${A1}`, `K8S_POD_NAME=${A1}`]) {
      const r = await run(env('ADD', { CNI_ARGS: `IgnoreUnknown=1;${args}` }), conf({}, '1.1.0'));
      expect(r.json.interfaces).toEqual([{ name: 'eth0', mac: A1_MAC, mtu: 1370, sandbox: NETNS }]);
    }
  });

  it('CHECK passes after ADD and fails (103) when the runtime’s prevResult disagrees or the attachment is gone', async () => {
    const add = await run(env('ADD'), conf());
    expect(await run(env('CHECK'), conf({ prevResult: add.json }))).toEqual({ stdout: '', exitCode: 0, json: undefined });
    const wrongMac = { ...add.json, interfaces: [{ ...add.json.interfaces[0], mac: '02:00:0a:f0:00:99' }] };
    expect((await run(env('CHECK'), conf({ prevResult: wrongMac }))).json).toMatchObject({ code: CODES.CHECK_FAILED });
    await run(env('DEL'), conf());
    expect((await run(env('CHECK'), conf({ prevResult: add.json }))).json).toMatchObject({
      code: CODES.CHECK_FAILED,
      msg: expect.stringMatching(/^NOT_ATTACHED/),
    });
  });

  it('DEL tears the veth down and forgets the attachment; DEL again, of an unknown container, without netns or agent all succeed', async () => {
    await run(env('ADD'), conf());
    expect(await run(env('DEL'), conf())).toEqual({ stdout: '', exitCode: 0, json: undefined });
    expect(veths()).toEqual([]);
    expect(store.paths()).toEqual({});
    const { CNI_NETNS: _, ...noNetns } = env('DEL');
    for (const [e, c] of [
      [env('DEL'), conf()],
      [env('DEL', { CNI_CONTAINERID: 'never-added' }), conf()],
      [noNetns, conf()],
      [env('DEL'), conf({ socket: join(dir, 'no-agent.sock') })],
    ] as const)
      expect(await run({ ...e }, c)).toEqual({ stdout: '', exitCode: 0, json: undefined });
  });

  it('GC detaches the network’s CNI attachments the runtime no longer lists, and nothing else', async () => {
    await run(env('ADD'), conf());
    await run(
      env('ADD', { CNI_CONTAINERID: 'podman0002', CNI_NETNS: ATTACHED['ctr-b0000001'], CNI_ARGS: 'WEFT_CONTAINER_ID=ctr-b0000001' }),
      conf({ network: 'pn-b', name: 'pn-b' }),
    );
    expect(Object.keys(store.paths()).sort()).toEqual([A1, 'ctr-b0000001']);
    // the runtime still knows podman0001 in pn-a: nothing goes
    expect((await run({ CNI_COMMAND: 'GC' }, conf({ 'cni.dev/valid-attachments': [{ containerID: 'podman0001', ifname: 'eth0' }] }, '1.1.0'))).exitCode).toBe(
      0,
    );
    expect(Object.keys(store.paths()).sort()).toEqual([A1, 'ctr-b0000001']);
    // it forgot it: pn-a's attachment goes, pn-b's (another network) stays
    expect((await run({ CNI_COMMAND: 'GC' }, conf({ 'cni.dev/valid-attachments': [] }, '1.1.0'))).exitCode).toBe(0);
    expect(Object.keys(store.paths())).toEqual(['ctr-b0000001']);
    expect(veths()).toEqual([]);
  });

  it('STATUS: 0 when ready, 51 when the network has errors, 50 without a model or an agent', async () => {
    await run(env('ADD'), conf());
    expect((await run({ CNI_COMMAND: 'STATUS' }, conf({}, '1.1.0'))).exitCode).toBe(0);
    await run(env('DEL'), conf());
    agent.fake.failOn = /type veth/;
    expect((await run(env('ADD'), conf())).json).toMatchObject({ code: CODES.TRY_AGAIN_LATER, msg: expect.stringMatching(/^NETWORK_NOT_READY/) });
    expect((await run({ CNI_COMMAND: 'STATUS' }, conf({}, '1.1.0'))).json).toMatchObject({ cniVersion: '1.1.0', code: 51 });
    model = null;
    expect((await run({ CNI_COMMAND: 'STATUS' }, conf({}, '1.1.0'))).json).toMatchObject({ code: 50, msg: 'weft-agent is not ready to attach containers' });
    expect((await run({ CNI_COMMAND: 'STATUS' }, conf({ socket: join(dir, 'none.sock') }, '1.1.0'))).json).toMatchObject({ code: 50 });
  });

  it.each([
    ['a container the API does not know', { CNI_ARGS: 'MAC=02:00:0a:f0:00:77' }, {}, CODES.UNKNOWN_CONTAINER, /^CONTAINER_UNKNOWN: no container with MAC/],
    ['a container of another host', { CNI_ARGS: 'WEFT_CONTAINER_ID=ctr-a0000002' }, {}, CODES.CONTAINER_ON_ANOTHER_HOST, /CONTAINER_NOT_ON_THIS_HOST/],
    ['a container of another network', { CNI_ARGS: 'WEFT_CONTAINER_ID=ctr-b0000001' }, {}, CODES.WRONG_NETWORK, /use the conflist of pn-b/],
    ['an IP and a MAC of two containers', { CNI_ARGS: `IP=10.240.0.12;MAC=${A1_MAC}` }, {}, CODES.IDENTITY, /IDENTITY_MISMATCH/],
    ['a namespace that does not exist', { CNI_NETNS: '/run/netns/gone' }, {}, CODES.INVALID_ENVIRONMENT, /NETNS_NOT_FOUND/],
    ['a stopped agent', {}, { socket: '/nonexistent/attach.sock' }, CODES.TRY_AGAIN_LATER, /not reachable at \/nonexistent\/attach.sock/],
  ])('ADD of %s fails with its code and changes nothing', async (_what, e, c, code, msg) => {
    const before = agent.fake.snapshot();
    const r = await run(env('ADD', e), conf(c));
    expect(r.exitCode).toBe(1);
    expect(r.json).toMatchObject({ cniVersion: '1.0.0', code, msg: expect.stringMatching(msg) });
    expect(store.paths()).toEqual({});
    expect(agent.fake.snapshot()).toEqual(before);
  });

  it('ADD into a namespace where another plugin already made the interface fails (11) instead of sharing it', async () => {
    agent.fake.byPath.get(NETNS)!.links.set('eth0', { name: 'eth0', kind: 'dummy', mtu: 1500, up: true, mac: '02:11:22:33:44:55', learning: false, addrs: [] });
    const r = await run(env('ADD'), conf());
    expect(r.json).toMatchObject({ code: CODES.TRY_AGAIN_LATER, msg: expect.stringMatching(/^NETWORK_NOT_READY/) });
    expect(agent.fake.byPath.get(NETNS)!.links.get('eth0')!.mac).toBe('02:11:22:33:44:55');
  });

  it('ADD of an agent without a model waits timeoutMs, then answers 11', async () => {
    model = null;
    const r = await run(env('ADD'), conf({ timeoutMs: 50 }));
    expect(r.json).toMatchObject({ code: CODES.TRY_AGAIN_LATER, msg: expect.stringMatching(/^AGENT_NOT_READY/) });
  });

  it('GET /v1/status reports the agent and each network', async () => {
    await run(env('ADD'), conf());
    const { callAgent } = await import('../../cni/client.ts');
    const s = await callAgent<any>(socket, 'GET', '/v1/status');
    expect(s).toMatchObject({
      ready: true,
      hostId: STATES.twoNetworks.host.id,
      revision: STATES.twoNetworks.revision,
      networks: { 'pn-a': { vni: 100, ready: true } },
    });
    expect(Date.parse(s.lastPassAt)).toBeGreaterThan(0);
  });
});

describe('cni/main.ts as a runtime runs it', () => {
  it('runs as it is under Node 24 (erasable TypeScript only, type-only imports from agent/) and answers VERSION', () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, '../../cni/main.ts')], {
      input: '{"cniVersion":"1.0.0"}',
      env: { PATH: process.env.PATH, CNI_COMMAND: 'VERSION' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
  });

  it('prints the spec error object on stdout and exits 1 for bad input', () => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../cni/main.ts')], {
      input: 'not json',
      env: { CNI_COMMAND: 'ADD' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ cniVersion: '1.1.0', code: 6, msg: 'the network configuration on stdin is not JSON' });
  });
});

describe('agent-written conflists (--cni-conf-dir)', () => {
  it('writes one per network, rewrites nothing unchanged, removes only its own stale ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-cni-conf-'));
    try {
      writeFileSync(join(dir, 'weft-pn-x.conflist'), JSON.stringify({ plugins: [{ type: 'weft-cni', socket: '/other/agent.sock' }] })); // another agent's
      writeFileSync(join(dir, '10-mine.conflist'), '{}'); // an operator's
      expect(syncCniConfigs(dir, [{ id: 'pn-a' }, { id: 'pn-b' }], '/s/attach.sock')).toEqual({
        written: ['weft-pn-a.conflist', 'weft-pn-b.conflist'],
        removed: [],
      });
      expect(JSON.parse(readFileSync(join(dir, 'weft-pn-a.conflist'), 'utf8'))).toEqual(conflistFor('pn-a', '/s/attach.sock'));
      expect(syncCniConfigs(dir, [{ id: 'pn-a' }, { id: 'pn-b' }], '/s/attach.sock')).toEqual({ written: [], removed: [] });
      expect(syncCniConfigs(dir, [{ id: 'pn-b' }], '/s/attach.sock')).toEqual({ written: [], removed: ['weft-pn-a.conflist'] });
      expect(readdirSync(dir).sort()).toEqual(['10-mine.conflist', 'weft-pn-b.conflist', 'weft-pn-x.conflist']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
