// Retiming prebuilt replies (a live TTL change): each reply read back after the TTLs were written in.
import dnsPacket, { type Answer } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { retimeReply } from './retime.ts';

const Z = 'pn-aaaa.private-network.internal';
const soa = (ttl: number): Answer => ({
  name: 'private-network.internal',
  type: 'SOA',
  class: 'IN',
  ttl,
  data: {
    mname: 'ns.private-network.internal',
    rname: 'hostmaster.private-network.internal',
    serial: 1,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: ttl,
  },
});
const opt: Answer = { name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0x8000, flag_do: true, options: [] } as Answer;
const reply = (question: string, type: 'A' | 'AAAA' | 'SRV', answers: Answer[], authorities: Answer[] = [], additionals: Answer[] = []) =>
  dnsPacket.encode({ type: 'response', id: 0, flags: 0x0400, questions: [{ name: question, type, class: 'IN' }], answers, authorities, additionals });

/** Every record of a message as `<section> <ttl> <type> …`: what a resolver caches, and for how long. */
function read(bytes: Buffer): string[] {
  const m = dnsPacket.decode(bytes);
  const line = (section: string) => (r: Answer) => {
    if (r.type === 'OPT') return `${section} OPT do=${r.flag_do} size=${r.udpPayloadSize}`;
    if (r.type === 'SOA') return `${section} ${r.ttl} SOA minimum=${r.data.minimum} serial=${r.data.serial}`;
    if (r.type === 'SRV') return `${section} ${r.ttl} SRV ${r.data.port} ${r.data.target}`;
    return `${section} ${r.ttl} ${r.type} ${r.data}`;
  };
  return [...(m.answers ?? []).map(line('an')), ...(m.authorities ?? []).map(line('ns')), ...(m.additionals ?? []).map(line('ar'))];
}

const to17 = { ttl: 17, soaTtl: 17, soaMinimum: 17 };

describe('retimeReply', () => {
  it.each([
    [
      'A records of a type name',
      reply(`web.ap-shop.${Z}`, 'A', [
        { name: `web.ap-shop.${Z}`, type: 'A', class: 'IN', ttl: 5, data: '10.240.0.4' },
        { name: `web.ap-shop.${Z}`, type: 'A', class: 'IN', ttl: 5, data: '10.240.0.5' },
      ]),
      ['an 17 A 10.240.0.4', 'an 17 A 10.240.0.5'],
    ],
    [
      'NODATA: the SOA takes the TTL and the negative TTL (MINIMUM); the OPT keeps its flags (DO)',
      reply(`web.ap-shop.${Z}`, 'AAAA', [], [soa(5)], [opt]),
      ['ns 17 SOA minimum=17 serial=1', 'ar OPT do=true size=1232'],
    ],
    [
      'SRV with the A records of its target in the additional section',
      reply(
        `_http._tcp.web.ap-shop.${Z}`,
        'SRV',
        [
          {
            name: `_http._tcp.web.ap-shop.${Z}`,
            type: 'SRV',
            class: 'IN',
            ttl: 30,
            data: { priority: 0, weight: 0, port: 8080, target: `1.web.ap-shop.${Z}` },
          },
        ],
        [],
        [{ name: `1.web.ap-shop.${Z}`, type: 'A', class: 'IN', ttl: 30, data: '10.240.0.4' }, opt],
      ),
      [`an 17 SRV 8080 1.web.ap-shop.${Z}`, 'ar 17 A 10.240.0.4', 'ar OPT do=true size=1232'],
    ],
  ])('%s', (_title, bytes, expected) => {
    const out = retimeReply(bytes, to17)!;
    expect(read(out)).toEqual(expected);
    expect(out.length).toBe(bytes.length); // only fixed-width fields change
  });

  it('gives the same bytes as encoding the reply with the new TTL, and leaves its input as it was', () => {
    const at = (ttl: number) => reply(`web.ap-shop.${Z}`, 'AAAA', [], [soa(ttl)], [opt]);
    const before = at(5);
    const copy = Buffer.from(before);
    expect(retimeReply(before, to17)!.equals(at(17))).toBe(true);
    expect(before.equals(copy)).toBe(true);
  });

  it.each([
    ['a message shorter than its header', Buffer.alloc(5)],
    ['a record cut short', reply(`web.ap-shop.${Z}`, 'A', [{ name: `web.ap-shop.${Z}`, type: 'A', class: 'IN', ttl: 5, data: '10.240.0.4' }]).subarray(0, -2)],
    ['bytes after the last record', Buffer.concat([reply(`web.ap-shop.${Z}`, 'A', []), Buffer.from([0])])],
  ])('walks no further than it can read: null for %s', (_title, bytes) => {
    expect(retimeReply(bytes, to17)).toBeNull();
  });
});
