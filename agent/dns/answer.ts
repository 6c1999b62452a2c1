/**
 * The DNS answer function: a decoded query and one network's zone in, a decision out.
 *
 * Owns: every rule of DESIGN §3 about what the resolver says — authority for
 * `private-network.internal.`, NXDOMAIN+SOA, NODATA (RFC 8020), echoing the query's letter case,
 * EDNS (RFC 6891) and the rcodes for queries we do not serve. Pure: it never sees a socket, a size
 * limit or the clock; truncation belongs to the encoder, forwarding to the forwarder.
 */
import type { Answer, DecodedPacket, OptAnswer, Packet, Question } from 'dns-packet';
import { ZONE_APEX, inZone, type Zone } from './zone.ts';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const BADVERS_HIGH = 1; // BADVERS (16) = extended rcode 1 << 4 | 0
const QR = 1 << 15;
const AA = 1 << 10;
const RD = 1 << 8;
const RA = 1 << 7;
const CD = 1 << 4;
/** The UDP size we advertise in our own OPT record (DNS flag day 2020). */
export const EDNS_SIZE = 1232;

/** What the server should do with a query. */
export type Decision =
  | { kind: 'reply'; response: Packet }
  | { kind: 'forward' } // outside the zone: the forwarder relays the raw query upstream
  | { kind: 'drop' }; // responses and other messages that must not be answered

/**
 * Answers `query` from `zone`, the view of the network whose socket received it. `zone` is
 * undefined when that network has left the model: its in-zone names are then REFUSED rather than
 * answered from nothing, which would turn every name into a cached NXDOMAIN.
 */
export function answer(query: DecodedPacket, zone: Zone | undefined): Decision {
  if (query.type === 'response') return { kind: 'drop' };
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  const opts = (query.additionals ?? []).filter((a): a is OptAnswer => a.type === 'OPT');
  const questions = query.questions ?? [];
  if (opts.length > 1) return reply(query, RCODE.FORMERR, [], []);
  const opt = opts[0];
  if (opt && opt.ednsVersion !== 0) return reply(query, RCODE.NOERROR, [], [], BADVERS_HIGH);
  if (opcode !== 0) return reply(query, RCODE.NOTIMP, [], []);
  if (questions.length !== 1) return reply(query, RCODE.FORMERR, [], []);

  const q = questions[0];
  const name = q.name.toLowerCase().replace(/\.$/, '');
  if (!inZone(name)) return { kind: 'forward' };
  if ((q.class ?? 'IN') !== 'IN' || !zone) return reply(query, RCODE.REFUSED, [], []);

  const records = zone.names.get(name);
  if (!records) return reply(query, RCODE.NXDOMAIN, [], [soaRecord(zone)]);
  if ((q.type === 'A' || (q.type as string) === 'ANY') && records.length) {
    const answers: Answer[] = records.map((ip) => ({ name: q.name, type: 'A', class: 'IN', ttl: zone.ttl, data: ip }));
    return reply(query, RCODE.NOERROR, answers, []);
  }
  if (q.type === 'SOA' && name === ZONE_APEX) return reply(query, RCODE.NOERROR, [{ ...soaRecord(zone), name: q.name }], []);
  return reply(query, RCODE.NOERROR, [], [soaRecord(zone)]);
}

/** The zone's SOA, as put in the authority section of negative answers (RFC 2308). */
export function soaRecord(zone: Zone): Answer {
  return { name: ZONE_APEX, type: 'SOA', class: 'IN', ttl: Math.min(zone.ttl, zone.soa.minimum), data: { ...zone.soa } };
}

function reply(query: DecodedPacket, rcode: number, answers: Answer[], authorities: Answer[], extendedRcode = 0): Decision {
  const flags = (query.flags ?? 0) & (RD | CD);
  const isAuthoritative = rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN;
  const q: Question[] = (query.questions ?? []).slice(0, 1);
  const additionals: Answer[] = [];
  if ((query.additionals ?? []).some((a) => a.type === 'OPT')) {
    const asked = query.additionals!.find((a): a is OptAnswer => a.type === 'OPT')!;
    // DO is copied back (RFC 3225 §3); we sign nothing, so no RRSIGs follow.
    additionals.push({ name: '.', type: 'OPT', udpPayloadSize: EDNS_SIZE, extendedRcode, ednsVersion: 0, flags: asked.flags & 0x8000, flag_do: asked.flag_do, options: [] });
  }
  return {
    kind: 'reply',
    response: {
      type: 'response',
      id: query.id ?? 0,
      flags: QR | (isAuthoritative && !extendedRcode ? AA : 0) | RA | flags | rcode,
      questions: q,
      answers,
      authorities,
      additionals,
    },
  };
}
