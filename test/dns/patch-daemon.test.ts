// Issue 17: the agent sends the DNS daemon the one changed name (patchNetworks), not the whole model.
// A patch the daemon cannot place — another client's, or one computed against a model the daemon
// lost in a crash — is refused with a code, and the agent falls back to setNetworks. The model's
// name (epoch) survives an upgrade, a SIGTERM and a cold start. Loopback only; daemons are
// separate processes killed by their PID.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DnsDaemonClient, request } from '../../agent/dns/control.ts';
import { ensureDnsDaemon } from '../../agent/dns/launch.ts';
import { diffNetworks, DnsPatchError } from '../../agent/dns/patch.ts';
import { readState, type DnsState } from '../../agent/dns/state-file.ts';
import type { NetworkModel } from '../../protocol/model.ts';
import { freePort } from '../support/ports.ts';
import { sampleNetworkA, sampleNetworkB } from '../support/sample-networks.ts';
import { isRunning } from './process-alive.ts';
import { lookupA } from './udp-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-dns-patch-'));
const control = join(dir, 'dns.sock');
const state = join(dir, 'dns-state.json');
const resolvConf = join(dir, 'resolv.conf');
const pids: number[] = [];
const NAME = '1.web.ap-shop.pn-aaaa.private-network.internal';
let port = 0;

beforeAll(async () => {
  port = await freePort('udp+tcp');
  writeFileSync(resolvConf, ''); // no upstreams: nothing leaves loopback
});

afterAll(() => {
  for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Network A with container `id` in `state`. */
function withState(id: string, s: 'RUNNING' | 'DRAINING'): NetworkModel {
  const a = sampleNetworkA();
  return { ...a, containers: a.containers.map((c) => (c.id === id ? { ...c, state: s } : c)) };
}

/** What the agent does: the patch, or the whole model when the daemon refuses it. */
async function send(client: DnsDaemonClient, prev: NetworkModel[], next: NetworkModel[]): Promise<'patched' | 'refused'> {
  try {
    await client.patchNetworks(diffNetworks(prev, next));
    return 'patched';
  } catch (err) {
    if (!(err instanceof DnsPatchError)) throw err;
    await client.setNetworks(next);
    return 'refused';
  }
}

const ids = (s: DnsState) => s.networks.map((n) => `${n.id}:${n.containers.map((c) => c.state[0]).join('')}`);

it('applies patches, refuses one it cannot place with a code, and keeps the model named across upgrade and restarts', async () => {
  const started = await ensureDnsDaemon({ control, state, resolvConf });
  pids.push(started.startedPid!);
  const client = started.client;
  const a = sampleNetworkA();
  await client.setNetworks([a]);
  await client.syncListeners(new Map([['pn-aaaa', { address: '127.0.0.1', port }]]));
  expect((await lookupA('127.0.0.1', port, NAME)).addresses).toEqual(['10.240.0.4']);

  // One container goes DRAINING: the patch carries it alone, and the name leaves DNS at once.
  const drained = [withState('ctr-ap-shop-web-1', 'DRAINING')];
  expect(diffNetworks([a], drained)?.patch[0].upsert.map((c) => c.id)).toEqual(['ctr-ap-shop-web-1']);
  const t0 = performance.now();
  expect(await send(client, [a], drained)).toBe('patched');
  expect((await lookupA('127.0.0.1', port, NAME)).rcode).toBe('NXDOMAIN');
  expect(performance.now() - t0).toBeLessThan(100);
  await expect(client.patchNetworks(null)).resolves.toBeUndefined();

  // Another client (a restarted agent) has sent no model: its patch is refused, with the code.
  const other = new DnsDaemonClient(control);
  await expect(other.patchNetworks(diffNetworks(drained, [a]))).rejects.toMatchObject({ code: 'DNS_PATCH_STALE' });
  // A network the daemon does not hold, from the client whose model it does hold.
  await expect(client.patchNetworks({ put: [], patch: [{ id: 'pn-bbbb', upsert: [], remove: [] }], remove: [] })).rejects.toMatchObject({
    code: 'DNS_PATCH_UNKNOWN_NETWORK',
  });
  // The refusal forgot the model's name: the next patch is refused too, and the fallback repairs.
  expect(await send(client, drained, [a])).toBe('refused');
  expect((await lookupA('127.0.0.1', port, NAME)).addresses).toEqual(['10.240.0.4']);

  // An in-place upgrade hands the model and its name to the successor: patches keep applying.
  const upgraded = await ensureDnsDaemon({ control, state, resolvConf, replace: 'upgrade' });
  pids.push(upgraded.startedPid!);
  expect(await send(client, [a], drained)).toBe('patched');
  expect((await lookupA('127.0.0.1', port, NAME)).rcode).toBe('NXDOMAIN');

  // A takeover too, and the change sent just before it is in the state file the successor reads.
  const both = [...drained, sampleNetworkB()];
  expect(await send(client, drained, both)).toBe('patched');
  const took = await ensureDnsDaemon({ control, state, resolvConf, replace: 'takeover' });
  pids.push(took.startedPid!);
  expect(ids(await request<DnsState>(control, { op: 'state' }))).toEqual(['pn-aaaa:DRPRDR', 'pn-bbbb:R']);
  expect(await send(client, both, drained)).toBe('patched');

  // SIGTERM writes what the coalescing writer had not written yet; a cold daemon accepts the next patch.
  expect(await send(client, drained, [a])).toBe('patched');
  process.kill(took.startedPid!, 'SIGTERM');
  for (let i = 0; i < 100 && isRunning(took.startedPid!); i++) await new Promise((r) => setTimeout(r, 20));
  expect(ids(await readState(state))).toEqual(['pn-aaaa:RRPRDR']);
  const cold = await ensureDnsDaemon({ control, state, resolvConf });
  pids.push(cold.startedPid!);
  expect(await send(client, [a], drained)).toBe('patched');

  // SIGKILL right after a change may lose it on disk (the write is coalesced): the cold daemon then
  // holds an older model under an older name, refuses the next patch, and the fallback repairs it.
  expect(await send(client, drained, [a])).toBe('patched');
  process.kill(cold.startedPid!, 'SIGKILL');
  for (let i = 0; i < 100 && isRunning(cold.startedPid!); i++) await new Promise((r) => setTimeout(r, 20));
  const again = await ensureDnsDaemon({ control, state, resolvConf });
  pids.push(again.startedPid!);
  await send(client, [a], drained); // 'patched' if the write made it before the kill, else 'refused'
  expect(ids(await request<DnsState>(control, { op: 'state' }))).toEqual(['pn-aaaa:DRPRDR']);
  expect((await lookupA('127.0.0.1', port, NAME)).rcode).toBe('NXDOMAIN');
});
