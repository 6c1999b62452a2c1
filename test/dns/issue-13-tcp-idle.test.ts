// Issue 13 (item 5): idle TCP connections do not lock others out. Full caps evict the least recently
// active idle connection (RFC 7766 lets a server close idle connections) instead of refusing the
// newcomer; a client over its own cap only ever displaces itself; busy connections are never closed.
// Clients are told apart by their loopback source address (127.0.0.x), as containers are by theirs.
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsServer } from '../../agent/dns/server.ts';
import { sampleNetworkA } from '../support/sample-networks.ts';
import { DEFAULT_TCP_LIMITS, serveTcp, type TcpLimits } from '../../agent/dns/tcp-server.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function frame(id: number, name: string): Buffer {
  const q = dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A' }] });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  return Buffer.concat([len, q]);
}

/** Connects from `from` (a 127.0.0.x) and resolves once connected; `s.closed` tells if it was closed since. */
function connect(port: number, from: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => resolve(s));
    s.on('error', reject);
  });
}

/** Sends one query and resolves with the decoded reply, or null when none came within `ms`. */
function ask(s: net.Socket, id: number, name: string, ms = 1000): Promise<dnsPacket.DecodedPacket | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const done = (r: dnsPacket.DecodedPacket | null) => {
      clearTimeout(t);
      s.off('data', onData);
      resolve(r);
    };
    const t = setTimeout(() => done(null), ms);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
    };
    s.on('data', onData);
    s.once('close', () => done(null));
    s.write(frame(id, name));
  });
}

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

/**
 * serveTcp on loopback with a handle that answers at once, except names starting with `slow.`,
 * which stay in flight until `release()`.
 */
async function startServer(limits: Partial<TcpLimits>) {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const waiting: (() => void)[] = [];
  const counts = { accepted: 0, rejected: 0 };
  const tcp = serveTcp(
    server,
    { ...DEFAULT_TCP_LIMITS, ...limits },
    async (q) => {
      const query = dnsPacket.decode(q);
      const name = query.questions?.[0]?.name ?? '';
      if (name.startsWith('slow.')) await new Promise<void>((r) => waiting.push(r));
      return dnsPacket.encode({ type: 'response', id: query.id, questions: query.questions, answers: [{ name, type: 'A', ttl: 5, data: '10.240.0.4' }] });
    },
    (ok) => {
      if (ok) counts.accepted++;
      else counts.rejected++;
    },
  );
  const sockets: net.Socket[] = [];
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    tcp.close();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    counts,
    release: () => {
      for (const r of waiting.splice(0)) r();
    },
    connect: async (from: string) => {
      const s = await connect(port, from);
      sockets.push(s);
      return s;
    },
  };
}

describe('issue 13: idle connections do not lock others out', () => {
  it('with the default limits, 64 idle connections (4 clients × 16) still let a fifth client get a prompt TCP answer', async () => {
    const dns = new DnsServer(); // DEFAULT_TCP_LIMITS: 64 per network, 16 per client, 10 s idle
    dns.setNetworks([sampleNetworkA()]);
    const { port } = await dns.listen('pn-aaaa', { address: '127.0.0.1', port: 0 });
    const idle: net.Socket[] = [];
    cleanups.push(() => {
      for (const s of idle) s.destroy();
      dns.close();
    });
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) {
      for (let i = 0; i < DEFAULT_TCP_LIMITS.maxPerClient; i++) idle.push(await connect(port, from));
    }
    expect(idle).toHaveLength(DEFAULT_TCP_LIMITS.maxConnections);
    await settle();

    const newcomer = await connect(port, '127.0.0.6');
    idle.push(newcomer);
    const t0 = performance.now();
    const reply = await ask(newcomer, 1, '1.web.ap-shop.pn-aaaa.private-network.internal');
    expect(reply?.answers?.[0]).toMatchObject({ data: '10.240.0.4' });
    expect(performance.now() - t0).toBeLessThan(1000); // not after the 10 s idle timeout
    await settle();
    // Exactly one connection made room: the oldest.
    expect(
      idle
        .slice(0, 64)
        .filter((s) => s.closed)
        .map((s) => idle.indexOf(s)),
    ).toEqual([0]);
    expect(dns.metrics()['pn-aaaa'].tcpRejected).toBe(0);
  });

  it('a full network of idle connections from one client evicts the oldest and the rest keep working', async () => {
    const srv = await startServer({ maxConnections: 4, maxPerClient: 4 });
    const idle = [];
    for (let i = 0; i < 4; i++) idle.push(await srv.connect('127.0.0.1'));
    // Activity refreshes a connection: the first one, just used, is no longer the oldest idle.
    expect(await ask(idle[0], 1, 'a.test')).not.toBeNull();
    await settle();
    const other = await srv.connect('127.0.0.2');
    expect((await ask(other, 2, 'b.test'))?.answers).toHaveLength(1);
    await settle();
    expect(idle.map((s) => s.closed)).toEqual([false, true, false, false]);
    for (const [i, s] of [idle[0], idle[2], idle[3]].entries()) expect(await ask(s, 10 + i, 'c.test')).not.toBeNull();
    expect(srv.counts).toEqual({ accepted: 5, rejected: 0 });
  });

  it("a client over its own cap loses its own oldest idle connection, not anybody else's", async () => {
    const srv = await startServer({ maxConnections: 8, maxPerClient: 3 });
    const others = [await srv.connect('127.0.0.2'), await srv.connect('127.0.0.3')]; // older than all of A's
    const a = [];
    for (let i = 0; i < 3; i++) a.push(await srv.connect('127.0.0.4'));
    await settle();
    const fourth = await srv.connect('127.0.0.4');
    expect(await ask(fourth, 1, 'a.test')).not.toBeNull();
    await settle();
    expect(a.map((s) => s.closed)).toEqual([true, false, false]);
    expect(others.map((s) => s.closed)).toEqual([false, false]);
    for (const s of others) expect(await ask(s, 2, 'b.test')).not.toBeNull();
  });

  it('a client whose connections are all busy is refused, and its queries in flight are still answered', async () => {
    const srv = await startServer({ maxConnections: 8, maxPerClient: 2 });
    const a = [await srv.connect('127.0.0.4'), await srv.connect('127.0.0.4')];
    const pending = a.map((s, i) => ask(s, i, 'slow.a.test', 3000));
    await settle();
    const third = await srv.connect('127.0.0.4');
    await settle();
    expect(third.closed).toBe(true);
    expect(srv.counts.rejected).toBe(1);
    // Another client is not affected by A's cap.
    expect(await ask(await srv.connect('127.0.0.5'), 9, 'b.test')).not.toBeNull();
    srv.release();
    for (const r of await Promise.all(pending)) expect(r?.answers).toHaveLength(1);
    expect(a.map((s) => s.closed)).toEqual([false, false]);
  });

  it('at the network cap only idle connections are evicted, however old the busy ones are', async () => {
    const srv = await startServer({ maxConnections: 3, maxPerClient: 3 });
    const [busy1, idle, busy2] = [await srv.connect('127.0.0.2'), await srv.connect('127.0.0.3'), await srv.connect('127.0.0.4')];
    const pending = [ask(busy1, 1, 'slow.a.test', 3000), ask(busy2, 2, 'slow.b.test', 3000)];
    await settle();
    const newcomer = await srv.connect('127.0.0.5');
    expect(await ask(newcomer, 3, 'c.test')).not.toBeNull();
    await settle();
    expect([busy1, idle, busy2].map((s) => s.closed)).toEqual([false, true, false]);
    // Now every connection but the newcomer is busy; make it busy too: the next one is refused.
    const pending2 = ask(newcomer, 4, 'slow.d.test', 3000);
    await settle();
    const refused = await srv.connect('127.0.0.6');
    await settle();
    expect(refused.closed).toBe(true);
    expect(srv.counts.rejected).toBe(1);
    srv.release();
    for (const r of await Promise.all([...pending, pending2])) expect(r?.answers).toHaveLength(1);
  });
});
