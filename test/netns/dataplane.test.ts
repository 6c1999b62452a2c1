/**
 * Real kernel, root only: 3 hosts (namespaces with wireguard-go), 2 networks reusing 10.240.0.0/22,
 * the real reconciler with the real runner inside each host, containers attached through the real
 * attach API. Proves connectivity (ICMP/TCP/UDP), isolation, MTU, idempotency, drift repair,
 * removal, restart without loss, and clean teardown.
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { createReconciler, type Reconciler } from '../../agent/reconcile/reconciler';
import { attachContainer } from '../../agent/runtime/client';
import { startAttachServer } from '../../agent/runtime/server';
import { AttachmentStore } from '../../agent/runtime/store';
import { describeRoot } from '../support/root';
import { container, host, hostConfig, network } from '../support/model';
import { inNs, Lab, sleep } from '../support/netns-lab.ts';
import { pingOk, sendOnce } from '../../lab/traffic.ts';

describeRoot('data plane on the real kernel (3 hosts, 2 networks, same CIDR)', () => {
  const lab = new Lab('wa');
  const agents: { rec: Reconciler; store: AttachmentStore; server: Server; socket: string; cfg: () => HostConfig }[] = [];
  let nets: ReturnType<typeof network>[] = [];
  let hosts: ReturnType<typeof host>[] = [];
  const ctrNs = (name: string) => lab.containerNs(name);

  const make = (i: number) =>
    createReconciler({
      runner: lab.hosts[i].runner,
      names: lab.hosts[i].names,
      wgMode: 'external',
      privateKeyPath: lab.hosts[i].privateKeyPath,
    });
  const passAll = async () => Promise.all(agents.map((a) => a.rec.reconcile(a.cfg(), a.store.paths())));

  beforeAll(async () => {
    await lab.up(3);
    hosts = lab.hosts.map((h) => host(h.n, h.publicKey, h.underlay));
    const [h1, h2, h3] = hosts;
    const A = [
      container('ctr-a0000001', 'pn-a', h1, '10.240.0.11'),
      container('ctr-a0000002', 'pn-a', h2, '10.240.0.12'),
      container('ctr-a0000003', 'pn-a', h3, '10.240.0.13', 'DRAINING'),
    ];
    const B = [container('ctr-b0000001', 'pn-b', h1, '10.240.0.11'), container('ctr-b0000002', 'pn-b', h2, '10.240.0.22')];
    nets = [network('pn-a', 100, A), network('pn-b', 200, B)];
    for (const [i, lh] of lab.hosts.entries()) {
      const store = new AttachmentStore(join(lab.dir, `state${lh.n}`));
      const socket = join(lab.dir, `attach${lh.n}.sock`);
      const cfg = () => hostConfig(hosts[i], hosts, nets);
      const a = { rec: make(i), store, socket, cfg, server: null as unknown as Server };
      a.server = await startAttachServer({ socketPath: socket, store, getConfig: cfg, reconcile: () => a.rec.reconcile(cfg(), store.paths()) });
      agents.push(a);
    }
    await passAll(); // sandboxes and remote entries exist before any container attaches
    for (const c of [...A, ...B]) {
      const i = hosts.findIndex((h) => h.id === c.hostId);
      const name = c.id.slice(4, 5) + c.id.slice(-1); // a1, a2, b1 …
      await attachContainer(agents[i].socket, c.id, lab.container(name));
    }
  }, 120_000);

  afterAll(async () => {
    for (const a of agents) await new Promise((r) => a.server?.close(r));
    await lab.destroy();
  });

  it('converges without failures, and a second pass on every host issues no operation', async () => {
    const reports = await passAll();
    for (const r of reports) {
      expect(r.failures).toEqual([]);
      expect(r.ops).toEqual([]);
    }
  });

  it('ICMP, TCP and UDP across hosts inside a network (DRAINING keeps connectivity)', async () => {
    expect(pingOk(ctrNs('a1'), '10.240.0.12')).toBe(true);
    expect(pingOk(ctrNs('a1'), '10.240.0.13')).toBe(true);
    expect(pingOk(ctrNs('a3'), '10.240.0.12')).toBe(true);
    expect(pingOk(ctrNs('b1'), '10.240.0.22')).toBe(true);
    expect(await sendOnce('tcp', ctrNs('a3'), ctrNs('a1'), '10.240.0.13', 31337, 'tcp-payload')).toBe('tcp-payload');
    expect(await sendOnce('udp', ctrNs('a2'), ctrNs('a1'), '10.240.0.12', 40000, 'udp-payload')).toBe('udp-payload');
  });

  it('isolation: networks reusing one CIDR (even one IP) never see each other', async () => {
    expect(pingOk(ctrNs('b1'), '10.240.0.12', { count: 1 })).toBe(false);
    expect(pingOk(ctrNs('a1'), '10.240.0.22', { count: 1 })).toBe(false);
    expect(await sendOnce('tcp', ctrNs('a1'), ctrNs('a2'), '10.240.0.11', 7000, 'to-a1')).toBe('to-a1');
    expect(await sendOnce('tcp', ctrNs('b1'), ctrNs('b2'), '10.240.0.11', 7000, 'to-b1')).toBe('to-b1');
    expect(await sendOnce('tcp', ctrNs('b1'), ctrNs('a2'), '10.240.0.11', 7001, 'leak')).toBe('');
  });

  it('anti-spoofing: a container cannot send with another source IP', async () => {
    inNs(ctrNs('a1'), ['ip', 'addr', 'add', '10.240.0.99/32', 'dev', 'eth1']);
    try {
      expect(await sendOnce('udp', ctrNs('a3'), ctrNs('a1'), '10.240.0.13', 40002, 'honest')).toBe('honest');
      const spoofed = await sendOnceFrom('10.240.0.99');
      expect(spoofed).toBe('');
    } finally {
      inNs(ctrNs('a1'), ['ip', 'addr', 'del', '10.240.0.99/32', 'dev', 'eth1']);
    }
  });

  /** UDP from a1 to a3 with a forged source address; returns what a3 received. */
  async function sendOnceFrom(src: string): Promise<string> {
    const listener = spawn('ip', ['netns', 'exec', ctrNs('a3'), 'timeout', '3', 'nc', '-u', '-l', '10.240.0.13', '40003'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let got = '';
    listener.stdout.on('data', (d) => (got += d));
    const done = new Promise((r) => listener.once('exit', r));
    await sleep(300);
    try {
      inNs(ctrNs('a1'), ['nc', '-u', '-w', '1', '-s', src, '10.240.0.13', '40003'], 'spoofed\n');
    } catch {
      /* dropped */
    }
    await done;
    return got.trim();
  }

  it('MTU 1370 end to end: 1342-byte pings pass with DF, 1343 do not', () => {
    expect(pingOk(ctrNs('a1'), '10.240.0.12', { size: 1342, df: true, count: 1 })).toBe(true);
    expect(pingOk(ctrNs('a1'), '10.240.0.12', { size: 1343, df: true, count: 1 })).toBe(false);
  });

  it('the gateway answers ICMP but not other TCP ports', async () => {
    expect(pingOk(ctrNs('a1'), '10.240.0.1', { count: 1 })).toBe(true);
    const sb = lab.hosts[0].names.sandboxNs(100);
    expect(await sendOnce('tcp', sb, ctrNs('a1'), '10.240.0.1', 8000, 'blocked')).toBe('');
  });

  it('drift repair: a bridge or an FDB entry deleted by hand comes back on the next pass', async () => {
    const h2 = lab.hosts[1];
    inNs(h2.ns, ['ip', '-n', h2.names.sandboxNs(100), 'link', 'del', h2.names.bridge(100)]);
    expect(pingOk(ctrNs('a1'), '10.240.0.12', { count: 1 })).toBe(false);
    const r = await agents[1].rec.reconcile(agents[1].cfg(), agents[1].store.paths());
    expect(r.failures).toEqual([]);
    expect(pingOk(ctrNs('a1'), '10.240.0.12')).toBe(true);
    const h1 = lab.hosts[0];
    inNs(h1.ns, ['bridge', '-n', h1.names.sandboxNs(100), 'fdb', 'del', '02:00:0a:f0:00:0c', 'dev', h1.names.vxlan(100), 'dst', hosts[1].meshIp, 'self']);
    const r1 = await agents[0].rec.reconcile(agents[0].cfg(), agents[0].store.paths());
    expect(r1.ops.map((o) => o.kind)).toEqual(['fdb.add']);
    expect(pingOk(ctrNs('a1'), '10.240.0.12')).toBe(true);
    for (const rep of await passAll()) expect(rep.ops).toEqual([]);
  });

  it('an agent restart (fresh reconcilers, same kernel) loses no packet of a 20 ms ping', async () => {
    const ping = spawn('ip', ['netns', 'exec', ctrNs('a1'), 'ping', '-i', '0.02', '-c', '100', '-W', '1', '10.240.0.13'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    ping.stdout.on('data', (d) => (out += d));
    await sleep(300);
    for (const [i, a] of agents.entries()) a.rec = make(i);
    const reports = await passAll();
    await new Promise((r) => ping.once('exit', r));
    for (const rep of reports) expect(rep.ops).toEqual([]);
    expect(out).toMatch(/100 packets transmitted, 100 received, 0% packet loss/);
  });

  it('a wireguard-go restart needs only the device re-configured: the VXLAN (no `dev`) survives', async () => {
    const h3 = lab.hosts[2];
    h3.wg!.kill('SIGTERM');
    await new Promise((r) => h3.wg!.once('exit', r));
    await lab.startWg(h3);
    const r = await agents[2].rec.reconcile(agents[2].cfg(), agents[2].store.paths());
    expect(r.failures).toEqual([]);
    expect(new Set(r.ops.map((o) => o.kind))).toEqual(new Set(['wg.link', 'wg.device', 'wg.peers']));
    // The new wireguard-go has no session: host 1 keeps sending on its old one, which host 3 drops,
    // until host 3's handshake (persistent keepalive, sent as the peer is configured) replaces it.
    // A ping sent in that window is lost by WireGuard itself, so wait for the handshake first.
    const handshaked = () =>
      /\s[1-9]\d*$/m.test(
        inNs(h3.ns, ['wg', 'show', h3.names.wg, 'latest-handshakes'])
          .split('\n')
          .find((l) => l.startsWith(lab.hosts[0].publicKey)) ?? '',
      );
    for (let i = 0; i < 100 && !handshaked(); i++) await sleep(50);
    expect(handshaked()).toBe(true);
    expect(pingOk(ctrNs('a1'), '10.240.0.13')).toBe(true);
  });

  it('removing a container removes its entries everywhere; removing it twice is harmless', async () => {
    nets = nets.map((n) => ({ ...n, containers: n.containers.filter((c) => c.id !== 'ctr-a0000002') }));
    for (const r of await passAll()) expect(r.failures).toEqual([]);
    expect(pingOk(ctrNs('a1'), '10.240.0.12', { count: 1 })).toBe(false);
    expect(pingOk(ctrNs('a1'), '10.240.0.13')).toBe(true);
    for (const r of await passAll()) expect(r.ops).toEqual([]);
  });

  it('clean teardown: an empty model removes every sandbox, peer and table the agents made', async () => {
    nets = [];
    for (const r of await passAll()) expect(r.failures).toEqual([]);
    const left = inNs(lab.hosts[0].ns, ['ip', 'netns', 'list'])
      .split('\n')
      .filter((l) => /^wa\dpn-/.test(l));
    expect(left).toEqual([]);
    expect(inNs(lab.hosts[0].ns, ['wg', 'show', lab.hosts[0].names.wg, 'peers']).trim()).toBe('');
    for (const r of await passAll()) expect(r.ops).toEqual([]);
  });
});
