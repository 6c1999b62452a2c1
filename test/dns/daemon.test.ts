// Resilience: the DNS daemon outlives agent restarts, and a new daemon takes over from a running
// one without a failed lookup. Loopback only; daemons are separate processes killed by their PID.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsDaemonClient } from '../../agent/dns/control.ts';
import { ensureDnsDaemon } from '../../agent/dns/launch.ts';
import { freePort } from '../support/ports.ts';
import { sampleNetworkA } from '../support/sample-networks.ts';
import { isRunning } from './process-alive.ts';
import { lookupA, lookupLoop } from './udp-client.ts';

const NAME = '1.web.ap-shop.pn-aaaa.private-network.internal';
const dir = mkdtempSync(join(tmpdir(), 'weft-dns-daemon-'));
const control = join(dir, 'dns.sock');
const state = join(dir, 'dns-state.json');
const resolvConf = join(dir, 'resolv.conf'); // empty: no upstreams, nothing leaves loopback
const pids: number[] = [];
let port = 0;

const alive = isRunning;

beforeAll(async () => {
  port = await freePort('udp+tcp'); // a DNS daemon listens on both
  const { writeFileSync } = await import('node:fs');
  writeFileSync(resolvConf, '');
});

afterAll(() => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('DNS daemon', () => {
  it('keeps answering while the agent is gone, and a restarted agent just pushes the model again', async () => {
    const first = await ensureDnsDaemon({ control, state, resolvConf });
    pids.push(first.startedPid!);
    await first.client.setNetworks([sampleNetworkA()]);
    expect(await first.client.syncListeners(new Map([['pn-aaaa', { address: '127.0.0.1', port }]]))).toEqual({});
    expect((await lookupA('127.0.0.1', port, NAME)).addresses).toEqual(['10.240.0.4']);

    // "Agent restart": the agent's client is gone; a new agent finds the running daemon.
    const loop = lookupLoop('127.0.0.1', port, NAME, '10.240.0.4');
    await new Promise((r) => setTimeout(r, 200));
    const again = await ensureDnsDaemon({ control, state, resolvConf });
    expect(again.startedPid).toBeUndefined();
    await again.client.setNetworks([sampleNetworkA()]);
    await again.client.syncListeners(new Map([['pn-aaaa', { address: '127.0.0.1', port }]]));
    await new Promise((r) => setTimeout(r, 200));
    const stats = await loop.stop();
    expect(stats.failures).toEqual([]);
    expect(stats.ok).toBeGreaterThan(10);
  });

  it('upgrades in place (sockets handed to the successor) without losing a single query', async () => {
    const oldPid = pids[0];
    const loop = lookupLoop('127.0.0.1', port, NAME, '10.240.0.4');
    await new Promise((r) => setTimeout(r, 200));
    const next = await ensureDnsDaemon({ control, state, resolvConf, replace: 'upgrade' });
    pids.push(next.startedPid!);
    expect(next.startedPid).not.toBe(oldPid);
    for (let i = 0; i < 100 && alive(oldPid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(oldPid)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    const stats = await loop.stop();
    console.log(`upgrade: ${stats.ok} lookups, ${stats.retried} needed a retry, ${stats.failed} failed`);
    expect(stats.failures).toEqual([]);
    expect(stats.retried).toBe(0);
    expect(stats.ok).toBeGreaterThan(10);
  });

  it('a daemon started alongside takes over (SO_REUSEPORT) with zero failed lookups', async () => {
    const oldPid = pids[pids.length - 1];
    const loop = lookupLoop('127.0.0.1', port, NAME, '10.240.0.4');
    await new Promise((r) => setTimeout(r, 200));
    const next = await ensureDnsDaemon({ control, state, resolvConf, replace: 'takeover' });
    pids.push(next.startedPid!);
    for (let i = 0; i < 100 && alive(oldPid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(oldPid)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    const stats = await loop.stop();
    console.log(`takeover: ${stats.ok} lookups, ${stats.retried} needed a retry, ${stats.failed} failed`);
    expect(stats.failures).toEqual([]);
    expect(stats.ok).toBeGreaterThan(10);
    // The successor serves the same model and obeys the agent.
    const client = new DnsDaemonClient(control);
    const m = sampleNetworkA();
    m.containers[0].state = 'DRAINING';
    const t0 = performance.now();
    await client.setNetworks([m]);
    expect((await lookupA('127.0.0.1', port, NAME)).rcode).toBe('NXDOMAIN');
    // Through the control socket, the state file and the swap: well inside the 100 ms.
    expect(performance.now() - t0).toBeLessThan(100);
    expect(statSync(control).mode & 0o777).toBe(0o600);
  });

  it('a daemon started from the state file alone serves the last-known-good model', async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    const cold = await ensureDnsDaemon({ control, state, resolvConf });
    pids.push(cold.startedPid!);
    expect((await lookupA('127.0.0.1', port, '2.web.ap-shop.pn-aaaa.private-network.internal')).addresses).toEqual(['10.240.0.5']);
  });
});
