// Root only: the real server, sockets handed over from inside sandbox namespaces, asked by dig and
// host from inside "container" namespaces through their resolv.conf. Nothing leaves the machine:
// the upstream is a fake resolver on the host's loopback.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NetworkModel } from '../../protocol/model.ts';
import { DnsServer } from '../../agent/dns/server.ts';
import { sampleNetworkA, sampleNetworkB } from '../support/sample-networks.ts';
import { dig } from '../dns/dig.ts';
import { isRunning } from '../dns/process-alive.ts';
import { startFakeUpstream, type FakeUpstream } from '../dns/fake-upstream.ts';
import { Lab, sh } from '../support/netns-lab.ts';
import { describeRoot } from '../support/root.ts';

const A = 'pn-aaaa.private-network.internal';
const GW = '10.240.0.1';
const LOOP = fileURLToPath(new URL('../dns/lookup-loop-cli.ts', import.meta.url));

function networkA(): NetworkModel {
  const n = sampleNetworkA();
  // Forty more RUNNING containers make an answer that cannot fit 512 bytes.
  n.applications.push({ id: 'ap-many', name: 'many', defaultProcessType: 'web' });
  for (let i = 1; i <= 40; i++) {
    n.containers.push({ ...n.containers[0], id: `ctr-many-${i}`, applicationId: 'ap-many', number: i, ip: `10.240.1.${i}`, hostname: `${i}.web.ap-many.${A}` });
  }
  return n;
}

describeRoot(
  'DNS through namespace socket handoff (root)',
  () => {
    const lab = new Lab('dh');
    let server: DnsServer | undefined;
    let upstream: FakeUpstream | undefined;
    let cA: string, cB: string;
    const nsOf: Record<string, string> = {};
    const children: number[] = [];

    beforeAll(async () => {
      await lab.sweep();
      nsOf['pn-aaaa'] = await lab.sandbox(1, `${GW}/22`);
      nsOf['pn-bbbb'] = await lab.sandbox(2, `${GW}/22`);
      cA = await lab.attach('a', 1, '10.240.0.4/22', GW);
      cB = await lab.attach('b', 2, '10.240.0.4/22', GW);
      upstream = await startFakeUpstream('127.0.0.1');
      server = new DnsServer({ upstreams: [{ address: upstream.address, port: upstream.port }], namespaceFor: (n) => nsOf[n.id] });
      server.setNetworks([networkA(), sampleNetworkB()]);
      const errors = await server.syncListeners();
      expect([...errors.values()].map(String)).toEqual([]);
    });

    afterAll(async () => {
      for (const pid of children) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      server?.close();
      await upstream?.close();
      await lab.destroy();
    });

    it('resolves every name form from inside a container, UDP and TCP', async () => {
      expect((await dig(GW, 53, `1.web.ap-shop.${A}`, 'A', [], cA)).answer).toEqual([`1.web.ap-shop.${A}. 5 IN A 10.240.0.4`]);
      expect((await dig(GW, 53, `web.ap-shop.${A}`, 'A', [], cA)).answer).toHaveLength(2);
      expect((await dig(GW, 53, `ap-shop.${A}`, 'A', ['+tcp'], cA)).answer).toHaveLength(2);
      expect((await dig(GW, 53, `1.worker.ap-shop.${A}`, 'A', ['+tcp'], cA)).answer).toEqual([`1.worker.ap-shop.${A}. 5 IN A 10.240.0.6`]);
      const viaResolvConf = await sh('ip', 'netns', 'exec', cA, 'host', '-t', 'A', `ap-api.${A}`);
      expect(viaResolvConf).toContain('has address 10.240.0.9');
    });

    it('NXDOMAIN+SOA for unknown names, NODATA for AAAA', async () => {
      const nx = await dig(GW, 53, `nope.${A}`, 'A', [], cA);
      expect(nx.status).toBe('NXDOMAIN');
      expect(nx.authority[0]).toMatch(/^private-network\.internal\. 5 IN SOA /);
      const nodata = await dig(GW, 53, `1.web.ap-shop.${A}`, 'AAAA', [], cA);
      expect([nodata.status, nodata.answer.length, nodata.authority.length]).toEqual(['NOERROR', 0, 1]);
    });

    it("another network's names are NXDOMAIN, in both directions", async () => {
      expect((await dig(GW, 53, 'web.ap-other.pn-bbbb.private-network.internal', 'A', [], cA)).status).toBe('NXDOMAIN');
      expect((await dig(GW, 53, `1.web.ap-shop.${A}`, 'A', [], cB)).status).toBe('NXDOMAIN');
      expect((await dig(GW, 53, 'web.ap-other.pn-bbbb.private-network.internal', 'A', [], cB)).answer).toHaveLength(1);
      const host = await sh('ip', 'netns', 'exec', cB, 'host', '-t', 'A', `1.web.ap-shop.${A}`).catch((e) => String(e));
      expect(host).toMatch(/NXDOMAIN|not found/);
    });

    it('forwards outside names through the host namespace to a local upstream', async () => {
      expect((await dig(GW, 53, 'example.test', 'A', [], cA)).answer).toEqual(['example.test. 60 IN A 192.0.2.10']);
      expect(await sh('ip', 'netns', 'exec', cB, 'host', 'example.test')).toContain('192.0.2.10');
    });

    it('truncates a large answer over UDP, then dig gets it over TCP', async () => {
      const r = await dig(GW, 53, `web.ap-many.${A}`, 'A', ['+noedns'], cA);
      expect(r.raw).toContain('Truncated, retrying in TCP mode');
      expect(r.answer).toHaveLength(40);
    });

    it('a name leaves DNS within 100 ms of going DRAINING and returns within 100 ms of RUNNING', async () => {
      // A watcher inside the container asks continuously and timestamps every change it sees.
      const name = `1.worker.ap-shop.${A}`;
      const watcher = spawn('ip', ['netns', 'exec', cA, process.execPath, LOOP, 'watch', GW, '53', name, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(watcher.pid!);
      let out = '';
      watcher.stdout.on('data', (d) => {
        out += d;
      });
      const exited = new Promise((r) => watcher.on('exit', r));
      await new Promise((r) => setTimeout(r, 500));
      const draining = networkA();
      draining.containers.find((c) => c.id === 'ctr-ap-shop-worker-1')!.state = 'DRAINING';
      const tDrain = Date.now();
      server!.setNetworks([draining, sampleNetworkB()]);
      await new Promise((r) => setTimeout(r, 400));
      const tRun = Date.now();
      server!.setNetworks([networkA(), sampleNetworkB()]);
      await exited;
      const changes = JSON.parse(out) as { at: number; addresses: string[] }[];
      const gone = changes.find((c) => c.at >= tDrain && c.addresses.length === 0);
      const back = changes.find((c) => c.at >= tRun && c.addresses.includes('10.240.0.6'));
      console.log(`DRAINING → gone after ${gone && gone.at - tDrain} ms; RUNNING → back after ${back && back.at - tRun} ms`);
      expect(changes[0].addresses).toEqual(['10.240.0.6']);
      expect(gone!.at - tDrain).toBeLessThan(100);
      expect(back!.at - tRun).toBeLessThan(100);
    });

    it('binds again when a sandbox is deleted and recreated under the same name', async () => {
      await sh('ip', 'netns', 'del', nsOf['pn-bbbb']);
      lab.namespaces.splice(lab.namespaces.indexOf(nsOf['pn-bbbb']), 1);
      lab.namespaces.splice(lab.namespaces.indexOf(cB), 1);
      await sh('ip', 'netns', 'del', cB);
      await lab.sandbox(2, `${GW}/22`);
      await lab.attach('b', 2, '10.240.0.4/22', GW);
      expect((await dig(GW, 53, 'web.ap-other.pn-bbbb.private-network.internal', 'A', [], cB)).status).toBe('TIMEOUT');
      expect([...(await server!.syncListeners()).values()].map(String)).toEqual([]);
      expect((await dig(GW, 53, 'web.ap-other.pn-bbbb.private-network.internal', 'A', [], cB)).answer).toHaveLength(1);
    });
  },
  { tools: ['dig', 'host'] },
);
