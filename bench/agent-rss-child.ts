/**
 * Child process of part `agent`: holds what a running agent holds for a host that knows `count`
 * containers — the follower's model (parsed from the JSON text `hostConfig` would return; the
 * watch stays open and idle), one desired state as a reconcile pass computes it — and, separately,
 * the DNS views the DNS daemon builds from the same networks. Prints RSS (MiB) after a full GC at
 * each stage as one JSON line. Run with --expose-gc.
 */
import { readFileSync } from 'node:fs';
import { startFollower } from '../agent/api/follower.ts';
import type { ApiClient } from '../agent/api/client.ts';
import { makeNames } from '../agent/config-names.ts';
import { computeDesired } from '../agent/desired/compute.ts';
import { DnsServer } from '../agent/dns/server.ts';
import type { HostConfig } from '../protocol/model.ts';
import { container, host, hostConfig, network } from '../test/support/model.ts';

const count = Number(process.argv[2] ?? 20000);
const rss = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
};

// 10 networks of count/10 containers over 50 hosts; this host runs one container in each
const hosts = Array.from({ length: 50 }, (_, i) =>
  host(i + 1, Buffer.from(Uint8Array.from({ length: 32 }, (_, b) => (b === 0 ? i + 1 : 7))).toString('base64')),
);
const per = Math.floor(count / 10);
const nets = Array.from({ length: 10 }, (_, n) => {
  const members = Array.from({ length: per }, (_, i) => {
    const h = i === 0 ? hosts[0] : hosts[1 + (i % 49)];
    const ip = `10.${100 + n}.${(i + 2) >> 8}.${(i + 2) & 255}`;
    return container(`ctr-${(0xc0000000 + n * 0x100000 + i).toString(16)}`, `pn-n${n}`, h, ip, 'RUNNING', i + 1);
  });
  return network(`pn-n${n}`, 1000 + n, members, `10.${100 + n}.0.0/16`, `10.${100 + n}.0.1`);
});
const wire = JSON.stringify(hostConfig(hosts[0], hosts, nets, 1));
const base = rss();

let model: HostConfig | null = null;
const client: ApiClient = {
  hostConfig: async () => JSON.parse(wire) as HostConfig,
  watch: (_h, _s, signal) => ({
    async *[Symbol.asyncIterator]() {
      await new Promise((r) => signal.addEventListener('abort', r));
    },
  }),
  report: async () => ({ reportIntervalMs: 0 }),
  updateHost: async () => {},
  generation: async () => 'gen-test',
  drain: async () => {
    throw new Error('not in this bench');
  },
  drainStatus: async () => {
    throw new Error('not in this bench');
  },
  policySources: async () => ({ ready: true, pendingHosts: [] }),
};
const follower = startFollower({ client, hostId: 'host-1', onModel: (m) => (model = m) });
while (!model) await new Promise((r) => setTimeout(r, 10));
const withModel = rss();
const desired = computeDesired(model, {}, { names: makeNames({ prefix: 'x' }) });
const withDesired = rss();
const dns = new DnsServer();
dns.setNetworks((model as HostConfig).networks);
const withDns = rss();
const known = (model as HostConfig).networks.reduce((s, n) => s + n.containers.length, 0);
process.stdout.write(`${JSON.stringify({ known, wireBytes: wire.length, base, withModel, withDesired, withDns, sandboxes: desired.sandboxes.length })}\n`);
await follower.stop();
process.exit(0);
