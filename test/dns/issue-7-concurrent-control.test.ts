// Regression (found by issue 7's API-outage scenario): an agent that reconnects sends several DNS
// changes at once (relist, deltas, listeners). The daemon persisted each through one temp file, so
// concurrent ones failed with ENOENT on rename and the daemon kept serving an older model.
// Loopback only; the daemon is a separate process killed by its PID.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { request } from '../../agent/dns/control.ts';
import { ensureDnsDaemon } from '../../agent/dns/launch.ts';
import { sampleNetworkA, sampleNetworkB } from '../support/sample-networks.ts';
import type { DnsState } from '../../agent/dns/state-file.ts';
import { isRunning } from './process-alive.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-dns-issue7-'));
const pids: number[] = [];

afterAll(() => {
  for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('applies concurrent control changes one at a time, failing and losing none', async () => {
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, ''); // no upstreams: nothing leaves loopback
  const control = join(dir, 'dns.sock');
  const { client, startedPid } = await ensureDnsDaemon({ control, state: join(dir, 'dns-state.json'), resolvConf });
  pids.push(startedPid!);
  const a = sampleNetworkA();
  const b = sampleNetworkB();
  const results = await Promise.allSettled([
    ...Array.from({ length: 10 }, (_, i) => client.setNetworks(i % 2 ? [a] : [a, b])),
    client.setUpstreams([{ address: '127.0.0.1', port: 9 }]),
    client.setNetworks([b]),
  ]);
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  const state = await request<DnsState>(control, { op: 'state' });
  expect(state.upstreams).toEqual([{ address: '127.0.0.1', port: 9 }]); // not lost to a concurrent setNetworks
  expect([[a.id], [a.id, b.id], [b.id]]).toContainEqual(state.networks.map((n) => n.id)); // one whole model, never a mix
  await client.setNetworks([b]);
  expect((await request<DnsState>(control, { op: 'state' })).networks.map((n) => n.id)).toEqual([b.id]);
});
