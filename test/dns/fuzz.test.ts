// 100,000 random and mutated packets thrown at the real server over UDP (and junk over TCP);
// afterwards it must still answer correctly. Outside names go to a loopback fake upstream only.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type RecordType } from 'dns-packet';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DnsServer } from '../../agent/dns/server.ts';
import { sampleNetworkA } from '../support/sample-networks.ts';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';
import { lookupA } from './udp-client.ts';

const A = 'pn-aaaa.private-network.internal';
let server: DnsServer;
let upstream: FakeUpstream;
let port: number;

beforeAll(async () => {
  upstream = await startFakeUpstream('127.0.0.1');
  server = new DnsServer({ upstreams: [{ address: upstream.address, port: upstream.port }], forwarder: { attemptTimeoutMs: 200 } });
  server.setNetworks([sampleNetworkA()]);
  port = (await server.listen('pn-aaaa', { address: '127.0.0.1', port: 0 })).port;
});
afterAll(async () => {
  server?.close();
  await upstream?.close();
});

it('survives 100,000 random and mutated packets over UDP and junk over TCP', async () => {
  let state = 0x1234567;
  const rand = () => (state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  const seeds = [`1.web.ap-shop.${A}`, `nope.${A}`, 'example.test', A].flatMap((name) =>
    ['A', 'AAAA', 'TXT'].map((type) =>
      dnsPacket.encode({
        type: 'query',
        id: 1,
        questions: [{ name, type: type as RecordType }],
        additionals:
          rand() < 0.5 ? [] : [{ name: '.', type: 'OPT', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
      }),
    ),
  );
  const client = dgram.createSocket('udp4');
  let replies = 0;
  client.on('message', () => {
    replies++;
  });
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  for (let i = 0; i < 100_000; i++) {
    let msg: Buffer;
    if (i % 3 === 0) {
      msg = Buffer.alloc(Math.floor(rand() * 120));
      for (let j = 0; j < msg.length; j++) msg[j] = rand() * 256;
    } else {
      msg = Buffer.from(seeds[i % seeds.length]);
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) msg[Math.floor(rand() * msg.length)] = rand() * 256;
    }
    client.send(msg, port, '127.0.0.1');
    if (i % 100 === 99) {
      // Same event loop as the server: wait until it has read what we sent (or 100 ms passed).
      const t0 = performance.now();
      while ((server.metrics()['pn-aaaa']?.queries ?? 0) < i - 200 && performance.now() - t0 < 100) await new Promise((r) => setImmediate(r));
    }
  }
  const tcp = net.connect(port, '127.0.0.1');
  tcp.on('error', () => undefined);
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.alloc(2 + Math.floor(rand() * 60));
    for (let j = 2; j < junk.length; j++) junk[j] = rand() * 256;
    junk.writeUInt16BE(junk.length - 2, 0);
    tcp.write(junk);
  }
  tcp.write(Buffer.from([0xff, 0xff, 1, 2, 3])); // a frame that never completes
  await new Promise((r) => setTimeout(r, 500));
  tcp.destroy();
  client.close();

  const m = server.metrics()['pn-aaaa'];
  expect(m.queries).toBeGreaterThan(90_000); // a few may be dropped by socket buffers
  expect(replies).toBeGreaterThan(10_000);
  expect((await lookupA('127.0.0.1', port, `1.web.ap-shop.${A}`)).addresses).toEqual(['10.240.0.4']);
});
