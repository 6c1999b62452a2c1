/**
 * The DNS answer function: a decoded query and one network's zone in, a decision out.
 *
 * Owns: every rule of docs/architecture.md §3.2 about what the resolver says — authority for
 * `private-network.internal.`, NXDOMAIN+SOA, NODATA (RFC 8020), echoing the query's letter case,
 * EDNS (RFC 6891) and the rcodes for queries we do not serve. Which records answer a question is
 * protocol/dns/answer.ts's call, shared with the API. Pure: it never sees a socket, a size limit or
 * the clock; truncation belongs to the encoder, forwarding to the forwarder.
 */
import type { Answer, DecodedPacket, OptAnswer, Packet, Question } from 'dns-packet';
import { answer as answerFromZone, isWeftReverse } from '../../protocol/dns/answer.ts';
import type { ZoneRecord } from '../../protocol/dns/records.ts';
import { canonicalName, inZone, ZONE_APEX, type Zone } from '../../protocol/dns/zone.ts';

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
  const name = canonicalName(q.name);
  // A reverse name inside Weft's space (RFC 1918, unique-local) is answered here even for a network that left the model: REFUSED.
  if (!inZone(name) && !isWeftReverse(name)) return { kind: 'forward' };
  if ((q.class ?? 'IN') !== 'IN' || !zone) return reply(query, RCODE.REFUSED, [], []);

  const found = answerFromZone(q, zone);
  switch (found.kind) {
    case 'outside':
      return { kind: 'forward' };
    case 'nxdomain':
      return reply(query, RCODE.NXDOMAIN, [], [soaRecord(zone, found.apex)]);
    case 'soa':
      return reply(query, RCODE.NOERROR, [{ ...soaRecord(zone), name: q.name }], []);
    case 'records':
      if (!found.records.length) return reply(query, RCODE.NOERROR, [], [soaRecord(zone, found.apex)]); // NODATA
      return reply(
        query,
        RCODE.NOERROR,
        found.records.map((r) => toAnswer(q.name, zone.ttl, r)),
        [],
        0,
        additionalsFor(found.records, zone),
      );
  }
}

/**
 * The A and AAAA records of SRV targets (RFC 2782: "the additional data section … contains the A
 * records"; RFC 3596 §3 adds AAAA), so a client needs no second query. The encoder drops them, not
 * the answers, when they do not fit.
 */
function additionalsFor(records: readonly ZoneRecord[], zone: Zone): Answer[] {
  const out: Answer[] = [];
  for (const r of records) {
    if (r.type !== 'SRV') continue;
    for (const a of zone.names.get(canonicalName(r.target)) ?? []) if (a.type === 'A' || a.type === 'AAAA') out.push(toAnswer(r.target, zone.ttl, a));
  }
  return out;
}

/** A zone record as a dns-packet answer owned by `name` (the question's own spelling). */
export function toAnswer(name: string, ttl: number, record: ZoneRecord): Answer {
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return { name, type: record.type, class: 'IN', ttl, data: record.address };
    case 'SRV':
      return { name, type: 'SRV', class: 'IN', ttl, data: { priority: record.priority, weight: record.weight, port: record.port, target: record.target } };
    case 'TXT':
      return { name, type: 'TXT', class: 'IN', ttl, data: record.data };
    case 'PTR':
      return { name, type: 'PTR', class: 'IN', ttl, data: record.target };
  }
}

/** The zone's SOA, as put in the authority section of negative answers (RFC 2308). */
export function soaRecord(zone: Zone, apex: string = ZONE_APEX): Answer {
  return { name: apex, type: 'SOA', class: 'IN', ttl: Math.min(zone.ttl, zone.soa.minimum), data: { ...zone.soa } };
}

function reply(query: DecodedPacket, rcode: number, answers: Answer[], authorities: Answer[], extendedRcode = 0, extra: Answer[] = []): Decision {
  const flags = (query.flags ?? 0) & (RD | CD);
  const isAuthoritative = rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN;
  const q: Question[] = (query.questions ?? []).slice(0, 1);
  const additionals: Answer[] = [...extra];
  if ((query.additionals ?? []).some((a) => a.type === 'OPT')) {
    const asked = query.additionals!.find((a): a is OptAnswer => a.type === 'OPT')!;
    // DO is copied back (RFC 3225 §3); we sign nothing, so no RRSIGs follow.
    additionals.push({
      name: '.',
      type: 'OPT',
      udpPayloadSize: EDNS_SIZE,
      extendedRcode,
      ednsVersion: 0,
      flags: asked.flags & 0x8000,
      flag_do: asked.flag_do,
      options: [],
    });
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
