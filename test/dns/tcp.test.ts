// DNS over TCP on the loopback server: pipelining, the per-network connection cap, idle timeouts.
// Eviction of idle connections at the caps is tested in issue-13-tcp-idle.test.ts.
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsServer } from '../../agent/dns/server.ts';
import { sampleNetworkA, sampleNetworkB } from '../support/sample-networks.ts';

const A = 'pn-aaaa.private-network.internal';
let server: DnsServer;
let portA: number;
let portB: number;
// An upstream that accepts and never answers: a query forwarded to it stays in flight.
let silent: net.Server;
const held = new Set<net.Socket>();

beforeAll(async () => {
  silent = net.createServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const upstream = { address: '127.0.0.1', port: (silent.address() as net.AddressInfo).port };
  server = new DnsServer({ tcp: { maxConnections: 3, idleMs: 300 }, upstreams: [upstream], forwarder: { attemptTimeoutMs: 2000 } });
  server.setNetworks([sampleNetworkA(), sampleNetworkB()]);
  portA = (await server.listen('pn-aaaa', { address: '127.0.0.1', port: 0 })).port;
  portB = (await server.listen('pn-bbbb', { address: '127.0.0.1', port: 0 })).port;
});
afterAll(() => {
  server?.close();
  for (const s of held) s.destroy();
  silent?.close();
});

function frame(id: number, name: string): Buffer {
  const q = dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A' }] });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  return Buffer.concat([len, q]);
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Reads `n` framed replies (or until the socket closes) and decodes them. */
function readReplies(s: net.Socket, n: number, timeoutMs = 2000): Promise<dnsPacket.DecodedPacket[]> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const out: dnsPacket.DecodedPacket[] = [];
    const finish = () => {
      clearTimeout(t);
      s.removeAllListeners('data');
      resolve(out);
    };
    const t = setTimeout(finish, timeoutMs);
    s.on('close', finish);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length >= n) finish();
    });
  });
}

describe('TCP', () => {
  it('answers pipelined queries sent in one write, split across writes too', async () => {
    const s = await connect(portA);
    const all = Buffer.concat([frame(1, `1.web.ap-shop.${A}`), frame(2, `nope.${A}`), frame(3, `ap-api.${A}`)]);
    s.write(all.subarray(0, 7));
    await new Promise((r) => setTimeout(r, 20));
    s.write(all.subarray(7));
    const replies = await readReplies(s, 3);
    s.destroy();
    const byId = new Map(replies.map((r) => [r.id, r]));
    expect(byId.get(1)?.answers?.[0]).toMatchObject({ data: '10.240.0.4' });
    expect((byId.get(2) as unknown as { rcode: string }).rcode).toBe('NXDOMAIN');
    expect(byId.get(3)?.answers?.[0]).toMatchObject({ data: '10.240.0.9' });
  });

  it('caps connections per network, not per host', async () => {
    // Busy connections (a forwarded query in flight): an idle one would be evicted instead (issue 13).
    const open = await Promise.all([connect(portA), connect(portA), connect(portA)]);
    open.forEach((s, i) => s.write(frame(20 + i, 'slow.example.test')));
    await new Promise((r) => setTimeout(r, 50));
    const fourth = await connect(portA);
    const closed = await new Promise<boolean>((r) => {
      fourth.on('close', () => r(true));
      setTimeout(() => r(false), 1000);
    });
    expect(closed).toBe(true);
    // Network B still has its own quota.
    const b = await connect(portB);
    b.write(frame(9, 'web.ap-other.pn-bbbb.private-network.internal'));
    expect((await readReplies(b, 1))[0]?.answers).toHaveLength(1);
    expect(open.every((s) => !s.destroyed && s.readyState === 'open')).toBe(true); // none evicted
    for (const s of [...open, b]) s.destroy();
    expect(server.metrics()['pn-aaaa'].tcpRejected).toBeGreaterThanOrEqual(1);
  });

  it('closes idle connections', async () => {
    await new Promise((r) => setTimeout(r, 100)); // let the previous test's sockets close
    const s = await connect(portA);
    const t0 = performance.now();
    await new Promise<void>((r) => s.on('close', () => r()));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
