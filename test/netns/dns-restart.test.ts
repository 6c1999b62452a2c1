// Root only: lookups from inside a container namespace never fail while the agent restarts and
// while a new DNS daemon takes over from the old one (sockets handed over from the sandbox).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureDnsDaemon } from '../../agent/dns/launch.ts';
import { sampleNetworkA } from '../support/sample-networks.ts';
import { dig } from '../dns/dig.ts';
import { isRunning } from '../dns/process-alive.ts';
import { Lab } from '../support/netns-lab.ts';
import { describeRoot } from '../support/root.ts';

const NAME = '1.web.ap-shop.pn-aaaa.private-network.internal';
const GW = '10.240.0.1';
const LOOP = fileURLToPath(new URL('../dns/lookup-loop-cli.ts', import.meta.url));

describeRoot(
  'DNS across agent restarts and daemon handover (root)',
  () => {
    const lab = new Lab('dr');
    const dir = mkdtempSync(join(tmpdir(), 'weft-dns-restart-'));
    const opts = { control: join(dir, 'dns.sock'), state: join(dir, 'state.json'), resolvConf: join(dir, 'resolv.conf'), logFile: join(dir, 'dns.log') };
    const pids: number[] = [];
    let container = '';
    let sandbox = '';

    beforeAll(async () => {
      await lab.sweep();
      writeFileSync(opts.resolvConf, '');
      sandbox = await lab.sandbox(1, `${GW}/22`);
      container = await lab.attach('1', 1, '10.240.0.4/22', GW);
    });

    afterAll(async () => {
      for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    function loopInContainer(ms: number): Promise<{ ok: number; failed: number; retried: number; failures: string[]; retriedAtMs: number[] }> {
      const child = spawn('ip', ['netns', 'exec', container, process.execPath, LOOP, 'loop', GW, '53', NAME, '10.240.0.4', String(ms)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      pids.push(child.pid!);
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      return new Promise((resolve, reject) =>
        child.on('exit', () => {
          pids.splice(pids.indexOf(child.pid!), 1);
          try {
            resolve(JSON.parse(out));
          } catch {
            reject(new Error(`loop printed: ${out}`));
          }
        }),
      );
    }

    it('zero failed lookups across an agent restart, a daemon upgrade and a takeover', async () => {
      const first = await ensureDnsDaemon(opts);
      pids.push(first.startedPid!);
      await first.client.setNetworks([sampleNetworkA()]);
      const bindings = new Map([['pn-aaaa', { address: GW, port: 53, namespace: sandbox }]]);
      expect(await first.client.syncListeners(bindings)).toEqual({});
      expect((await dig(GW, 53, NAME, 'A', [], container)).answer).toHaveLength(1);

      let loop = loopInContainer(2000);
      await new Promise((r) => setTimeout(r, 400));
      // Agent restart: a fresh agent finds the daemon and re-sends the same model (idempotent).
      const agent2 = await ensureDnsDaemon(opts);
      expect(agent2.startedPid).toBeUndefined();
      await agent2.client.setNetworks([sampleNetworkA()]);
      expect(await agent2.client.syncListeners(bindings)).toEqual({});
      await new Promise((r) => setTimeout(r, 400));
      // Daemon upgrade: the old daemon hands the sandbox's sockets to its successor and exits.
      const upgraded = await ensureDnsDaemon({ ...opts, replace: 'upgrade' });
      pids.push(upgraded.startedPid!);
      let stats = await loop;
      console.log(`agent restart + upgrade from ${container}: ${stats.ok} lookups, ${stats.retried} retried, ${stats.failed} failed`);
      expect(stats.failures).toEqual([]);
      expect(stats.retried).toBe(0);
      expect(stats.ok).toBeGreaterThan(50);
      expect(isRunning(first.startedPid!)).toBe(false); // the old daemon is gone

      // Takeover: a new daemon binds inside the sandbox alongside (SO_REUSEPORT), then the old exits.
      loop = loopInContainer(1500);
      await new Promise((r) => setTimeout(r, 400));
      const next = await ensureDnsDaemon({ ...opts, replace: 'takeover' });
      pids.push(next.startedPid!);
      stats = await loop;
      console.log(`takeover from ${container}: ${stats.ok} lookups, ${stats.retried} retried, ${stats.failed} failed`);
      expect(stats.failures).toEqual([]);
      for (let i = 0; i < 50 && isRunning(upgraded.startedPid!); i++) await new Promise((r) => setTimeout(r, 20));
      expect(isRunning(upgraded.startedPid!)).toBe(false);
      expect((await dig(GW, 53, NAME, 'A', ['+tcp'], container)).answer).toHaveLength(1);
    });
  },
  { tools: ['dig', 'host'] },
);
