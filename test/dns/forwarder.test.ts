// Forwarding to upstreams on loopback: ID remapping, spoof rejection, failover, SERVFAIL, rate limit.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Forwarder } from '../../agent/dns/forwarder.ts';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';

const query = (id: number, name = 'example.test') =>
  dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] });
const sockets: dgram.Socket[] = [];
let good: FakeUpstream;

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  sockets.push(s);
  return s;
}

beforeAll(async () => {
  good = await startFakeUpstream('127.0.0.1');
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await good.close();
});

describe('Forwarder', () => {
  it('remaps IDs upstream, spreads queries over source ports, and restores the client ID', async () => {
    const seen: number[] = [];
    const ports = new Set<number>();
    const spy = await udp();
    spy.on('message', (msg, r) => {
      seen.push(msg.readUInt16BE(0));
      ports.add(r.port);
      const d = dnsPacket.decode(msg);
      spy.send(
        dnsPacket.encode({ type: 'response', id: d.id, questions: d.questions, answers: [{ name: 'example.test', type: 'A', data: '192.0.2.1' }] }),
        r.port,
        r.address,
      );
    });
    const f = new Forwarder({ upstreams: [{ address: '127.0.0.1', port: spy.address().port }], attemptTimeoutMs: 500, ratePerSecond: 100, burst: 100 });
    const ids = [];
    for (let i = 0; i < 10; i++) {
      const r = await f.forward('pn-a', query(0x1234), 512);
      ids.push(r.bytes.readUInt16BE(0));
      expect(r.outcome).toBe('answered');
    }
    f.close();
    expect(ids).toEqual(Array(10).fill(0x1234));
    expect(seen.filter((id) => id !== 0x1234).length).toBeGreaterThanOrEqual(9);
    expect(ports.size).toBeGreaterThan(1);
  });

  it('ignores replies from the wrong source and with the wrong question', async () => {
    const real = await udp();
    const forger = await udp();
    real.on('message', (msg, r) => {
      const d = dnsPacket.decode(msg);
      const forged = (name: string, ip: string) =>
        dnsPacket.encode({ type: 'response', id: d.id, questions: [{ name, type: 'A' }], answers: [{ name, type: 'A', data: ip }] });
      forger.send(forged('example.test', '6.6.6.6'), r.port, r.address); // right ID, wrong source port
      real.send(forged('other.test', '6.6.6.7'), r.port, r.address); // right source, wrong question
      setTimeout(() => real.send(forged('example.test', '192.0.2.2'), r.port, r.address), 20);
    });
    const f = new Forwarder({ upstreams: [{ address: '127.0.0.1', port: real.address().port }], attemptTimeoutMs: 500, ratePerSecond: 100, burst: 100 });
    const r = await f.forward('pn-a', query(7), 512);
    f.close();
    expect(dnsPacket.decode(r.bytes).answers?.[0]).toMatchObject({ data: '192.0.2.2' });
  });

  it('fails over to the next upstream after a timeout, and answers SERVFAIL when all fail', async () => {
    const silent = await udp();
    const f = new Forwarder({
      upstreams: [
        { address: '127.0.0.1', port: silent.address().port },
        { address: good.address, port: good.port },
      ],
      attemptTimeoutMs: 200,
      ratePerSecond: 100,
      burst: 100,
    });
    const t0 = performance.now();
    const r = await f.forward('pn-a', query(8), 512);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(dnsPacket.decode(r.bytes).answers?.[0]).toMatchObject({ data: '192.0.2.10' });
    f.setUpstreams([{ address: '127.0.0.1', port: silent.address().port }]);
    const fail = await f.forward('pn-a', query(9), 512);
    f.close();
    expect([fail.outcome, (dnsPacket.decode(fail.bytes) as unknown as { rcode: string }).rcode]).toEqual(['failed', 'SERVFAIL']);
  });

  it('rate-limits per network with REFUSED, leaving other networks alone', async () => {
    const f = new Forwarder({ upstreams: [{ address: good.address, port: good.port }], attemptTimeoutMs: 500, ratePerSecond: 1, burst: 3 });
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push((await f.forward('pn-noisy', query(i), 512)).outcome);
    const other = await f.forward('pn-quiet', query(99), 512);
    f.close();
    expect(outcomes).toEqual(['answered', 'answered', 'answered', 'limited', 'limited']);
    expect(other.outcome).toBe('answered');
  });
});
