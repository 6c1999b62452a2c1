// The agent's kept control connection to the DNS daemon (agent/dns/control-session.ts): changes share
// one connection; a leaving daemon ends it and the next change reaches its successor; an older
// daemon that ends every connection after its reply gets one request per connection. Unix sockets
// in a temporary directory, servers in this process.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type ControlServer, DnsDaemonClient, serveControl } from '../../agent/dns/control.ts';
import { diffNetworks } from '../../agent/dns/patch.ts';
import { DnsServer } from '../../agent/dns/server.ts';
import type { DnsState } from '../../agent/dns/state-file.ts';
import { sampleNetworkA, sampleNetworkB } from '../support/sample-networks.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-dns-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A control server over a real DnsServer, counting the connections it accepted. */
function daemon(path: string): { control: ControlServer; server: DnsServer; connections: () => number; state: () => DnsState } {
  const server = new DnsServer();
  let state: DnsState = { networks: [], bindings: [] };
  const never = { run: async () => null, after: () => undefined };
  const control = serveControl(
    path,
    server,
    (s) => (state = s),
    () => state,
    { handover: never, upgrade: never },
  );
  let connections = 0;
  control.net.on('connection', () => connections++);
  return { control, server, connections: () => connections, state: () => state };
}

const listening = (s: net.Server) => new Promise<void>((r) => (s.listening ? r() : s.once('listening', () => r())));
const closed = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

it('sends every change over one kept connection, in order', async () => {
  const path = join(dir, 'kept.sock');
  const d = daemon(path);
  await listening(d.control.net);
  const client = new DnsDaemonClient(path);
  const a = sampleNetworkA();
  const b = sampleNetworkB();
  const ttl = { ...b, dnsTtl: 17 };
  await client.setNetworks([a, b]);
  await Promise.all([client.patchNetworks(diffNetworks([a, b], [a, ttl])), client.setUpstreams([{ address: '127.0.0.1', port: 9 }])]);
  await client.syncListeners(new Map());
  expect(d.server.model()).toEqual([a, ttl]);
  expect(d.state().upstreams).toEqual([{ address: '127.0.0.1', port: 9 }]);
  expect(d.connections()).toBe(1);
  d.control.endSessions();
  await closed(d.control.net);
});

it('a leaving daemon ends the kept connection, and the next change reaches its successor', async () => {
  const path = join(dir, 'handover.sock');
  const first = daemon(path);
  await listening(first.control.net);
  const client = new DnsDaemonClient(path);
  const a = sampleNetworkA();
  const b = sampleNetworkB();
  await client.setNetworks([a]);
  // what daemon.ts does when it leaves: no new connections, the kept ones ended
  const gone = closed(first.control.net);
  first.control.endSessions();
  await gone;
  rmSync(path, { force: true });
  const second = daemon(path);
  await listening(second.control.net);
  await client.setNetworks([b]);
  expect(first.server.model()).toEqual([a]);
  expect(second.server.model()).toEqual([b]);
  second.control.endSessions();
  await closed(second.control.net);
});

it('with an older daemon (one request per connection, `keep` unknown) sends one request per connection', async () => {
  const path = join(dir, 'old.sock');
  const received: string[][] = []; // per connection, every line it got
  const old = net.createServer((conn) => {
    const lines: string[] = [];
    received.push(lines);
    let buf = '';
    let answered = false;
    conn.on('data', (chunk) => {
      buf += chunk;
      for (const line of buf.split('\n').slice(0, -1)) if (!lines.includes(line)) lines.push(line);
      if (answered || !buf.includes('\n')) return;
      answered = true;
      conn.end(`${JSON.stringify({ ok: true, result: { n: received.length } })}\n`);
    });
  });
  old.listen(path);
  await listening(old);
  const client = new DnsDaemonClient(path);
  const results = await Promise.all([1, 2, 3].map((port) => client.setUpstreams([{ address: '127.0.0.1', port }])));
  expect(results).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  expect(received.map((lines) => lines.map((l) => JSON.parse(l).upstreams[0].port))).toEqual([[1], [2], [3]]);
  await closed(old);
});
