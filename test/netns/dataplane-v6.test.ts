/**
 * Dual-stack on the real kernel, root only (docs/agent-dataplane.md "IPv6"): 2 hosts (namespaces
 * with wireguard-go), the real reconciler and runner, containers attached through the real attach
 * API. Networks pn-a and pn-b have ipv6 ON and reuse 10.240.0.0/22; pn-c has it OFF. The v6 side of
 * the connectivity, isolation and attacks matrices: TCP, UDP and ICMPv6 across hosts, another
 * network's v6 addresses unreachable, spoofed v6 sources, forged RA and NA dropped (their guard
 * counters move), the OFF switch, and MTU 1370 end to end. One world for the whole file.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gateway6Of, ulaOfVni } from '../../protocol/addressing/ipv6.ts';
import type { HostConfig, NetworkModel } from '../../protocol/model.ts';
import type { NetworkPolicy } from '../../protocol/policy/model.ts';
import { parseNftCounters } from '../../agent/metrics/kernel-counters';
import { createReconciler, type Reconciler } from '../../agent/reconcile/reconciler';
import { attachContainer } from '../../agent/runtime/client';
import { startAttachServer } from '../../agent/runtime/server';
import { AttachmentStore } from '../../agent/runtime/store';
import { describeRoot } from '../support/root';
import { container, host, hostConfig, network } from '../support/model';
import { inNs, Lab, sleep } from '../support/netns-lab.ts';
import { pingOk, sendOnce } from '../../lab/traffic.ts';

const FORGE = join(import.meta.dirname, '../../lab/nd-forge.py');
const dual = (n: NetworkModel): NetworkModel => ({ ...n, ipv6: { cidr: ulaOfVni(n.vni), gateway: gateway6Of(ulaOfVni(n.vni)) } });
// pn-a: fd77:6674:0:64::/64 (VNI 100), pn-b: fd77:6674:0:c8::/64 (VNI 200); host part = IPv4 offset
const A1 = 'fd77:6674:0:64::b';
const A2 = 'fd77:6674:0:64::c';
const A3 = 'fd77:6674:0:64::d';
const GW_A = 'fd77:6674:0:64::1';
const B2 = 'fd77:6674:0:c8::16';

describeRoot(
  'dual-stack data plane on the real kernel (2 hosts; 2 networks with ipv6 ON, one OFF)',
  () => {
    const lab = new Lab('wv');
    const agents: { rec: Reconciler; store: AttachmentStore; server: Server; socket: string; cfg: () => HostConfig }[] = [];
    let nets: NetworkModel[] = [];
    let hosts: ReturnType<typeof host>[] = [];
    const ctrNs = (name: string) => lab.containerNs(name);
    const passAll = async () => Promise.all(agents.map((a) => a.rec.reconcile(a.cfg(), a.store.paths())));
    /** A guard rule's packet counter in host 1's sandbox of `vni`. */
    const counter = (vni: number, rule: string) => {
      const h = lab.hosts[0];
      const json = inNs(h.ns, ['ip', 'netns', 'exec', h.names.sandboxNs(vni), 'nft', '-j', 'list', 'table', 'bridge', h.names.guardTable]);
      return parseNftCounters(json).find((c) => c.rule === rule)?.packets ?? -1;
    };

    beforeAll(async () => {
      await lab.up(2);
      hosts = lab.hosts.map((h) => host(h.n, h.publicKey, h.underlay));
      const [h1, h2] = hosts;
      const A = [
        container('ctr-a0000001', 'pn-a', h1, '10.240.0.11'),
        container('ctr-a0000002', 'pn-a', h2, '10.240.0.12'),
        container('ctr-a0000003', 'pn-a', h1, '10.240.0.13'),
      ];
      const B = [
        container('ctr-b0000001', 'pn-b', h1, '10.240.0.11', 'RUNNING', 1, { applicationId: 'ap-front' }),
        container('ctr-b0000002', 'pn-b', h2, '10.240.0.22', 'RUNNING', 1, { applicationId: 'ap-back' }),
      ];
      const C = [container('ctr-c0000001', 'pn-c', h1, '10.240.0.11'), container('ctr-c0000002', 'pn-c', h2, '10.240.0.12')];
      nets = [dual(network('pn-a', 100, A)), dual(network('pn-b', 200, B)), network('pn-c', 300, C)];
      for (const [i, lh] of lab.hosts.entries()) {
        const store = new AttachmentStore(join(lab.dir, `state${lh.n}`));
        const socket = join(lab.dir, `attach${lh.n}.sock`);
        const cfg = () => hostConfig(hosts[i], hosts, nets);
        const rec = createReconciler({ runner: lh.runner, names: lh.names, wgMode: 'external', privateKeyPath: lh.privateKeyPath });
        const a = { rec, store, socket, cfg, server: null as unknown as Server };
        a.server = await startAttachServer({ socketPath: socket, store, getConfig: cfg, reconcile: () => a.rec.reconcile(cfg(), store.paths()) });
        agents.push(a);
      }
      await passAll();
      for (const c of [...A, ...B, ...C]) {
        const i = hosts.findIndex((h) => h.id === c.hostId);
        await attachContainer(agents[i].socket, c.id, lab.container(c.id.slice(4, 5) + c.id.slice(-1)));
      }
    }, 120_000);

    afterAll(async () => {
      for (const a of agents) await new Promise((r) => a.server?.close(r));
      await lab.destroy();
    });

    it('converges without failures, and a second pass on every host issues no operation', async () => {
      for (const r of await passAll()) {
        expect(r.failures).toEqual([]);
        expect(r.ops).toEqual([]);
      }
    });

    it('ICMPv6, TCP and UDP over v6 across hosts and on one host; the v6 gateway answers ping', async () => {
      expect(pingOk(ctrNs('a1'), A2)).toBe(true);
      expect(pingOk(ctrNs('a2'), A3)).toBe(true);
      expect(pingOk(ctrNs('a1'), A3)).toBe(true);
      expect(pingOk(ctrNs('a2'), GW_A, { count: 1 })).toBe(true);
      expect(await sendOnce('tcp', ctrNs('a2'), ctrNs('a1'), A2, 31337, 'tcp6-payload')).toBe('tcp6-payload');
      expect(await sendOnce('udp', ctrNs('a1'), ctrNs('a2'), A1, 40000, 'udp6-payload')).toBe('udp6-payload');
      expect(await sendOnce('tcp', ctrNs('b1'), ctrNs('b2'), 'fd77:6674:0:c8::b', 31338, 'tcp6-b')).toBe('tcp6-b');
    });

    it('ND is answered locally: a remote neighbour resolves from the permanent entry, its NS never reaches the other host', async () => {
      const h1 = lab.hosts[0];
      const neigh = inNs(h1.ns, ['ip', '-n', h1.names.sandboxNs(100), '-6', 'neigh', 'show', 'dev', h1.names.vxlan(100)]);
      expect(neigh.trim()).toBe(`${A2} lladdr 02:00:0a:f0:00:0c PERMANENT`);
      expect(inNs(ctrNs('a1'), ['ip', '-6', 'neigh', 'show', A2])).toMatch(/lladdr 02:00:0a:f0:00:0c/);
      // a1 forgets a2 and asks again: the answer comes from host 1's VXLAN proxy, a2 hears no solicitation
      inNs(ctrNs('a1'), ['ip', '-6', 'neigh', 'flush', 'dev', 'eth1']);
      expect(await receivedBy(135, () => expect(pingOk(ctrNs('a1'), A2, { count: 1 })).toBe(true), 'a2')).toBe(0);
      expect(inNs(ctrNs('a1'), ['ip', '-6', 'neigh', 'show', A2])).toMatch(/lladdr 02:00:0a:f0:00:0c/);
      // the container end has its address and the on-link /64 only: no link-local, no default route
      expect(inNs(ctrNs('a1'), ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth1']).match(/inet6 \S+/g)).toEqual([`inet6 ${A1}/64`]);
      expect(inNs(ctrNs('a1'), ['ip', '-6', 'route', 'show', 'default'])).toBe('');
    });

    it("isolation: another network's v6 addresses are unreachable, even with a route to them", async () => {
      inNs(ctrNs('b1'), ['ip', '-6', 'route', 'add', 'fd77:6674:0:64::/64', 'dev', 'eth1']);
      try {
        expect(pingOk(ctrNs('b1'), A2, { count: 1 })).toBe(false);
        expect(await sendOnce('tcp', ctrNs('a2'), ctrNs('b1'), A2, 7001, 'leak')).toBe('');
      } finally {
        inNs(ctrNs('b1'), ['ip', '-6', 'route', 'del', 'fd77:6674:0:64::/64', 'dev', 'eth1']);
      }
      expect(pingOk(ctrNs('a1'), B2, { count: 1 })).toBe(false);
    });

    it('anti-spoofing: a forged v6 source never arrives, and ip6-spoof counts it', async () => {
      inNs(ctrNs('a1'), ['ip', 'addr', 'add', 'fd77:6674:0:64::99/128', 'dev', 'eth1', 'nodad']);
      try {
        expect(await sendOnceFrom(A1)).toBe('honest');
        const before = counter(100, 'ip6-spoof');
        expect(await sendOnceFrom('fd77:6674:0:64::99')).toBe('');
        expect(counter(100, 'ip6-spoof')).toBeGreaterThan(before);
      } finally {
        inNs(ctrNs('a1'), ['ip', 'addr', 'del', 'fd77:6674:0:64::99/128', 'dev', 'eth1']);
      }
    });

    /** UDP from a1 to a2 (other host) with source `src`; returns what a2 received. */
    async function sendOnceFrom(src: string): Promise<string> {
      const listener = spawn('ip', ['netns', 'exec', ctrNs('a2'), 'timeout', '3', 'nc', '-u', '-l', A2, '40003'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let got = '';
      listener.stdout.on('data', (d) => (got += d));
      const done = new Promise((r) => listener.once('exit', r));
      await sleep(300);
      try {
        inNs(ctrNs('a1'), ['nc', '-u', '-w', '1', '-s', src, A2, '40003'], src === A1 ? 'honest\n' : 'spoofed\n');
      } catch {
        /* dropped */
      }
      await done;
      return got.trim();
    }

    /** How many ICMPv6 messages of `type` container `who` (default a3, a1's neighbour on the same bridge) receives while `send` runs. */
    async function receivedBy(type: number, send: () => void, who = 'a3'): Promise<number> {
      const rx = spawn('ip', ['netns', 'exec', ctrNs(who), 'python3', FORGE, 'recv', String(type), '1.5'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      rx.stdout.on('data', (d) => (out += d));
      while (!out.includes('ready')) await sleep(50);
      send();
      await new Promise((r) => rx.once('exit', r));
      return Number(out.trim().split('\n').at(-1));
    }

    it('ND attacks: a forged NA for a neighbour and a rogue RA are dropped (na-spoof, nd-router-from-ctr); an honest NA passes', async () => {
      const forge = (...args: string[]) => inNs(ctrNs('a1'), ['python3', FORGE, ...args]);
      // positive control: a1 advertising its own address reaches a3
      expect(await receivedBy(136, () => forge('na', 'eth1', A1, '02:00:0a:f0:00:0b'))).toBeGreaterThanOrEqual(1);
      const na = counter(100, 'na-spoof');
      expect(await receivedBy(136, () => forge('na', 'eth1', A3, '02:00:0a:f0:00:0b'))).toBe(0);
      expect(counter(100, 'na-spoof')).toBeGreaterThan(na);
      const ra = counter(100, 'nd-router-from-ctr');
      expect(await receivedBy(134, () => forge('ra', 'eth1'))).toBe(0);
      expect(counter(100, 'nd-router-from-ctr')).toBeGreaterThan(ra);
      // a3 still reaches a2 through its own, unpoisoned neighbour entries
      expect(pingOk(ctrNs('a3'), A2, { count: 1 })).toBe(true);
      expect(inNs(ctrNs('a3'), ['ip', '-6', 'route', 'show'])).not.toMatch(/fd00:bad/);
    });

    it('MTU 1370 end to end on v6: 1322-byte pings pass with DF across hosts, 1323 do not', () => {
      expect(pingOk(ctrNs('a1'), A2, { size: 1370 - 48, df: true, count: 1 })).toBe(true);
      expect(pingOk(ctrNs('a1'), A2, { size: 1370 - 47, df: true, count: 1 })).toBe(false);
    });

    it('ipv6 OFF (pn-c): the sandbox keeps disable_ipv6=1, the container gets no v6 address or route, v6 frames are dropped', () => {
      const h1 = lab.hosts[0];
      const sysctl = (ns: string, k: string) => inNs(h1.ns, ['ip', 'netns', 'exec', ns, 'sysctl', '-n', k]).trim();
      expect(sysctl(h1.names.sandboxNs(300), 'net.ipv6.conf.all.disable_ipv6')).toBe('1');
      expect(sysctl(h1.names.sandboxNs(300), 'net.ipv6.conf.default.disable_ipv6')).toBe('1');
      expect(sysctl(h1.names.sandboxNs(100), 'net.ipv6.conf.all.disable_ipv6')).toBe('0');
      expect(inNs(ctrNs('c1'), ['ip', '-6', 'addr', 'show', 'scope', 'global'])).toBe('');
      expect(
        inNs(ctrNs('c1'), ['ip', '-6', 'route', 'show'])
          .split('\n')
          .filter((l) => l && !l.startsWith('fe80::') && !l.startsWith('multicast')),
      ).toEqual([]);
      // addresses the containers give themselves do not help: the guard drops IPv6 like any other ethertype
      inNs(ctrNs('c1'), ['ip', 'addr', 'add', 'fd00::11/64', 'dev', 'eth1', 'nodad']);
      inNs(ctrNs('c2'), ['ip', 'addr', 'add', 'fd00::12/64', 'dev', 'eth1', 'nodad']);
      try {
        const before = counter(300, 'other-ethertype');
        expect(pingOk(ctrNs('c1'), 'fd00::12', { count: 1 })).toBe(false);
        expect(counter(300, 'other-ethertype')).toBeGreaterThan(before);
      } finally {
        inNs(ctrNs('c1'), ['ip', 'addr', 'del', 'fd00::11/64', 'dev', 'eth1']);
        inNs(ctrNs('c2'), ['ip', 'addr', 'del', 'fd00::12/64', 'dev', 'eth1']);
      }
    });

    it('policy ENFORCE judges v6 flows like v4 ones: the allowed port opens, others and ICMPv6 echo drop (default-deny counts), ND still works', async () => {
      const B1 = 'fd77:6674:0:c8::b';
      const rule = { from: { applicationId: 'ap-front', processType: null }, to: { applicationId: 'ap-back', processType: null } };
      const policy: NetworkPolicy = { mode: 'ENFORCE', version: 1, tests: [], rules: [{ ...rule, protocol: 'TCP', ports: [{ from: 8080, to: 8080 }] }] };
      nets = nets.map((n) => (n.id === 'pn-b' ? { ...n, policy } : n));
      for (const r of await passAll()) expect(r.failures).toEqual([]);
      const h2 = lab.hosts[1];
      const denied = () => {
        const json = inNs(h2.ns, ['ip', 'netns', 'exec', h2.names.sandboxNs(200), 'nft', '-j', 'list', 'table', 'bridge', h2.names.policyTable]);
        return parseNftCounters(json).find((c) => c.rule === 'default-deny')?.packets ?? -1;
      };
      try {
        expect(await sendOnce('tcp', ctrNs('b2'), ctrNs('b1'), B2, 8080, 'allowed6')).toBe('allowed6');
        const before = denied();
        expect(await sendOnce('tcp', ctrNs('b2'), ctrNs('b1'), B2, 9090, 'denied6')).toBe('');
        expect(pingOk(ctrNs('b1'), B2, { count: 1 })).toBe(false);
        expect(denied()).toBeGreaterThan(before);
        // b2 is not isolated in the other direction: it still opens flows to b1, over v4 and v6
        expect(await sendOnce('tcp', ctrNs('b1'), ctrNs('b2'), B1, 9091, 'back6')).toBe('back6');
        for (const r of await passAll()) expect(r.ops).toEqual([]);
      } finally {
        nets = nets.map((n) => (n.id === 'pn-b' ? { ...n, policy: undefined } : n));
        for (const r of await passAll()) expect(r.failures).toEqual([]);
      }
      expect(await sendOnce('tcp', ctrNs('b2'), ctrNs('b1'), B2, 9090, 'open6')).toBe('open6');
    });

    it('switching ipv6 live, in place (no veth re-created): pn-a OFF and ON again, pn-c (made OFF) ON; v4 keeps working', async () => {
      const v6Addrs = (ns: string) => inNs(ns, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth1']).match(/inet6 \S+/g) ?? [];
      nets = nets.map((n) => (n.id === 'pn-a' ? network('pn-a', 100, n.containers) : n));
      for (const r of await passAll()) {
        expect(r.failures).toEqual([]);
        expect(r.ops.filter((o) => o.kind === 'link.del' || o.kind === 'veth.add')).toEqual([]);
      }
      expect(pingOk(ctrNs('a1'), A2, { count: 1 })).toBe(false);
      expect(v6Addrs(ctrNs('a1'))).toEqual([]);
      expect(pingOk(ctrNs('a1'), '10.240.0.12')).toBe(true);
      for (const r of await passAll()) expect(r.ops).toEqual([]);
      nets = nets.map((n) => (n.id === 'pn-a' || n.id === 'pn-c' ? dual(n) : n));
      for (const r of await passAll()) {
        expect(r.failures).toEqual([]);
        expect(r.ops.filter((o) => o.kind === 'link.del' || o.kind === 'veth.add')).toEqual([]);
      }
      expect(pingOk(ctrNs('a1'), A2)).toBe(true);
      expect(pingOk(ctrNs('a1'), '10.240.0.12')).toBe(true);
      // c1 had the kernel's link-local while pn-c was single-stack: switched ON it keeps only its own address
      expect(v6Addrs(ctrNs('c1'))).toEqual(['inet6 fd77:6674:0:12c::b/64']);
      expect(pingOk(ctrNs('c1'), 'fd77:6674:0:12c::c')).toBe(true);
      for (const r of await passAll()) expect(r.ops).toEqual([]);
    });

    it('clean teardown: an empty model removes every sandbox the agents made', async () => {
      nets = [];
      for (const r of await passAll()) expect(r.failures).toEqual([]);
      const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => /^wv\dpn-/.test(l));
      expect(left).toEqual([]);
    });
  },
  { tools: ['wireguard-go', 'nft', 'nc', 'python3'] },
);
