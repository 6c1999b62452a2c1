// The fast path against the full codec, truncation, and hostile input.
import dnsPacket, { type RecordType } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { buildZone } from '../../protocol/dns/zone.ts';
import { sampleNetworkA, wideNetwork } from '../../test/support/sample-networks.ts';
import { buildFastTable, lookupFast } from './fast-path.ts';
import { respond } from './respond.ts';
import { respondSlow } from './slow-path.ts';

const zone = buildZone(sampleNetworkA());
const fast = buildFastTable(zone);
const A = 'pn-aaaa.private-network.internal';

function query(name: string, type: string, o: { id?: number; rd?: boolean; cd?: boolean; edns?: number; do?: boolean } = {}): Buffer {
  const flags = (o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED) | (o.cd ? dnsPacket.CHECKING_DISABLED : 0);
  const additionals =
    o.edns === undefined
      ? []
      : [
          {
            name: '.',
            type: 'OPT' as const,
            udpPayloadSize: o.edns,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: o.do ? dnsPacket.DNSSEC_OK : 0,
            flag_do: !!o.do,
            options: [],
          },
        ];
  return dnsPacket.encode({ type: 'query', id: o.id ?? 0x1234, flags, questions: [{ name, type: type as RecordType, class: 'IN' }], additionals });
}

const names = [
  `1.web.ap-shop.${A}`,
  `web.ap-shop.${A}`,
  `ap-shop.${A}`,
  `WORKER.AP-SHOP.${A.toUpperCase()}`,
  `Ap-Api.${A}`,
  `ap-idle.${A}`,
  `web.ap-idle.${A}`,
  A,
  'private-network.internal',
  `1.Worker.ap-shop.${A}`,
];
const variants = [{}, { rd: false }, { cd: true }, { edns: 1232 }, { edns: 4096, do: true }, { edns: 512, rd: false }, { edns: 0 }];

describe('fast path', () => {
  it('is byte-identical to the slow path for every name, type and flag variant, NXDOMAIN included', () => {
    let hits = 0;
    const unknown = [`nope.${A}`, `X.1.WEB.ap-shop.${A}`, 'pn-bbbb.private-network.internal', `3.web.ap-shop.${A}`];
    for (const name of [...names, ...unknown])
      for (const type of ['A', 'AAAA'])
        for (const v of variants) {
          const q = query(name, type, { ...v, id: (hits * 7919) & 0xffff });
          const f = lookupFast(q, fast, 'udp', zone);
          const s = respondSlow(q, zone, 'udp');
          expect(f, `${name} ${type} ${JSON.stringify(v)}`).not.toBeNull();
          expect(f!.kind === 'reply' && s.kind === 'reply' && f!.bytes.equals(s.bytes), `${name} ${type} ${JSON.stringify(v)}`).toBe(true);
          hits++;
        }
    expect(hits).toBe((names.length + unknown.length) * 2 * variants.length);
  });

  it('misses unusual queries, which the slow path answers', () => {
    expect(lookupFast(query(`web.ap-shop.${A}`, 'TXT'), fast, 'udp')).toBeNull();
    expect(lookupFast(query(`nope.${A}`, 'A'), fast, 'udp')).toBeNull(); // NXDOMAIN needs the zone
    expect(lookupFast(query(`nope.${A}`, 'TXT'), fast, 'udp', zone)).toMatchObject({ rcode: 3, fast: true });
    expect(lookupFast(query('xprivate-network.internal', 'A'), fast, 'udp', zone)).toBeNull();
    expect(lookupFast(query('example.com', 'A'), fast, 'udp')).toBeNull();
    const notify = Buffer.from(query(A, 'A'));
    notify[2] |= 4 << 3; // opcode NOTIFY
    expect(lookupFast(notify, fast, 'udp')).toBeNull();
    const chaos = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: A, type: 'A', class: 'CH' }] });
    expect(lookupFast(chaos, fast, 'udp')).toBeNull();
    expect(respond(chaos, zone, fast, 'udp')).toMatchObject({ kind: 'reply', rcode: 5, fast: false });
    // EDNS options are ignored by both paths alike (we implement none that must be echoed).
    const withOption = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [{ name: A, type: 'A' }],
      additionals: [
        {
          name: '.',
          type: 'OPT',
          udpPayloadSize: 1232,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [{ code: 'PADDING', length: 4 } as never],
        },
      ],
    });
    const f = lookupFast(withOption, fast, 'udp');
    const s = respondSlow(withOption, zone, 'udp');
    expect(f?.kind === 'reply' && s.kind === 'reply' && f.bytes.equals(s.bytes)).toBe(true);
  });
});

describe('round trip through dns-packet', () => {
  it('decodes our compressed replies to exactly what answer() decided', async () => {
    const { answer } = await import('./answer.ts');
    for (const name of [...names, `nope.${A}`])
      for (const type of ['A', 'AAAA', 'SOA', 'TXT']) {
        const q = query(name, type, { edns: 1232 });
        const decided = answer(dnsPacket.decode(q), zone);
        const out = respond(q, zone, fast, 'udp');
        if (decided.kind !== 'reply' || out.kind !== 'reply') throw new Error('expected replies');
        const back = dnsPacket.decode(out.bytes);
        // Compression points names into the question, so the SOA's names take the query's case:
        // equal as DNS names (case-insensitive), which is what the comparison uses.
        const strip = (rs: dnsPacket.Answer[] | undefined) =>
          JSON.parse(JSON.stringify((rs ?? []).map((r) => ({ ...r, class: 'IN', flush: false }))).toLowerCase());
        expect(back.id).toBe(decided.response.id);
        expect(back.flags).toBe(decided.response.flags! & 0x7fff);
        expect(back.questions).toEqual(decided.response.questions);
        expect(strip(back.answers)).toEqual(strip(decided.response.answers));
        expect(strip(back.authorities)).toEqual(strip(decided.response.authorities));
        expect(back.additionals?.[0]).toMatchObject({ type: 'OPT', udpPayloadSize: 1232 });
      }
  });
});

describe('sizes', () => {
  const wide = buildZone(wideNetwork('pn-wide', 7, 80));
  const wideFast = buildFastTable(wide);
  const name = 'web.ap-wide.pn-wide.private-network.internal';

  it('compresses owner names: 28 A records fit 512 bytes without EDNS', () => {
    const z = buildZone(wideNetwork('pn-wide', 7, 28));
    const out = respond(query(name, 'A'), z, buildFastTable(z), 'udp');
    expect(out.kind === 'reply' && out.bytes.length).toBeLessThanOrEqual(512);
    expect(out.kind === 'reply' && dnsPacket.decode(out.bytes).answers).toHaveLength(28);
  });

  it('sets TC above 512 bytes without EDNS, above min(EDNS, 1232) with it, never over TCP', () => {
    for (const [o, limit] of [
      [{}, 512],
      [{ edns: 900 }, 900],
      [{ edns: 4096 }, 1232],
    ] as const) {
      const out = respond(query(name, 'A', o), wide, wideFast, 'udp');
      if (out.kind !== 'reply') throw new Error('no reply');
      const d = dnsPacket.decode(out.bytes);
      expect(out.bytes.length).toBeLessThanOrEqual(limit);
      expect(d.flag_tc).toBe(true);
      expect(d.answers).toEqual([]);
      expect(d.questions?.[0].name).toBe(name);
    }
    const tcp = respond(query(name, 'A'), wide, wideFast, 'tcp');
    expect(tcp.kind === 'reply' && dnsPacket.decode(tcp.bytes).answers).toHaveLength(80);
    expect(tcp.kind === 'reply' && tcp.fast).toBe(true);
  });
});

describe('hostile input', () => {
  it('answers undecodable queries FORMERR or drops them, never throws', () => {
    expect(respond(Buffer.alloc(3), zone, fast, 'udp').kind).toBe('drop');
    const junk = Buffer.from('123400000001000000000000ff', 'hex');
    const out = respond(junk, zone, fast, 'udp');
    expect(out.kind === 'reply' && out.rcode).toBe(1);
  });

  it('survives 100,000 random and mutated packets', () => {
    const seeds = [...names.map((n) => query(n, 'A', { edns: 1232 })), query('example.com', 'MX'), query(`x.${A}`, 'AAAA')];
    let state = 0x9e3779b9;
    const rand = () => (state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
    const counts = { reply: 0, forward: 0, drop: 0 };
    for (let i = 0; i < 100_000; i++) {
      let msg: Buffer;
      if (i % 4 === 0) {
        msg = Buffer.alloc(Math.floor(rand() * 80));
        for (let j = 0; j < msg.length; j++) msg[j] = rand() * 256;
      } else {
        msg = Buffer.from(seeds[i % seeds.length]);
        for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) msg[Math.floor(rand() * msg.length)] = rand() * 256;
        if (rand() < 0.2) msg = msg.subarray(0, Math.floor(rand() * msg.length));
      }
      const out = respond(msg, zone, fast, i % 2 ? 'udp' : 'tcp');
      counts[out.kind]++;
      if (out.kind === 'reply' && i % 2) expect(out.bytes.length).toBeLessThanOrEqual(1232);
    }
    expect(counts.reply + counts.forward + counts.drop).toBe(100_000);
  });
});
