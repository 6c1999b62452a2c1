/**
 * Prebuilt replies for plain questions about names that exist, and cheap NXDOMAINs for the rest.
 *
 * Owns: a per-network table from (lower-cased name, qtype) to the complete reply bytes for a
 * canonical query, built by running the slow path itself on that query — so the two paths agree
 * by construction, and respond.test.ts checks they stay byte-identical. A hit copies the buffer
 * and patches only what varies: the ID, the question (its letter case), RD/CD, and the OPT's DO bit.
 * Anything unusual (types a name holds no records of, other than A and AAAA; EDNS options we would
 * have to echo; replies over the client's size) misses and takes the slow path. The lab measured this at 0.90× dnsmasq vs 0.65× for dns-packet.
 */
import dnsPacket, { type Answer } from 'dns-packet';
import type { ZoneRecord, ZoneRecordType } from '../../protocol/dns/records.ts';
import { canonicalName, inZone, type Zone } from '../../protocol/dns/zone.ts';
import { EDNS_SIZE, RCODE, soaRecord } from './answer.ts';
import { encodeResponse } from './encode.ts';
import { type Outcome, respondSlow, TCP_LIMIT, type Transport } from './slow-path.ts';
import { retimeReply, type Timing } from './retime.ts';
import { readPlainQuery, readQuestion, TYPE_A, TYPE_CODE, type PlainQuery } from './wire.ts';

interface Entry {
  plain: Buffer; // reply to a query without OPT
  edns: Buffer; // reply to a query with a version-0 OPT (ends with our 11-byte OPT)
  rcode: number;
}

/**
 * The prebuilt replies of one zone: qtype → lower-cased wire name (as a latin1 string) → entry. One
 * map per type, so a lookup needs no key string beyond the name's (measured ~15% off lookupFast).
 */
export type FastTable = ReadonlyMap<number, ReadonlyMap<string, Entry>>;
type MutableTable = Map<number, Map<string, Entry>>;

/**
 * Types prebuilt for every name under the zone apex, records or not: A (its entry also tells
 * `nxdomain` the name exists) and AAAA (the container's v6 address when the network has IPv6,
 * NODATA when it has none; dual-stack stubs ask it on every lookup, so it is as hot as A). Both
 * are built by the slow path from the zone, so the ipv6 switch needs nothing here: a switch
 * rebuilds the zone, and updateFastTable re-encodes the names whose records changed. Reverse
 * names (`…in-addr.arpa`, `…ip6.arpa`, one per RUNNING container and family) are not
 * prebuilt at all: PTR questions are rare (logs, ssh) and take the slow path (~6 µs instead of
 * ~0.6 µs), while prebuilding them cost the daemon 200 MiB more for 20,000 containers (130 → 333
 * MiB with A and AAAA entries, 217 MiB with PTR entries alone).
 */
const ALWAYS: readonly ZoneRecordType[] = ['A', 'AAAA'];

/** Prebuilds replies for every existing name of `zone`: A, AAAA, and each type the name holds. */
export function buildFastTable(zone: Zone): FastTable {
  const table: MutableTable = new Map();
  for (const [name, records] of zone.names) addEntries(table, name, records, zone);
  return table;
}

/**
 * The table of `next`, given `prev` and its table `prevTable`: re-encodes only the names whose
 * records changed, appeared or disappeared, and the SRV names that target them, and yields the
 * same entries as buildFastTable(next) (patch.test.ts checks the bytes). A reply depends on its name's records and on the zone-wide
 * TTL and SOA alone. When only the TTL (and with it the SOA's TTL and MINIMUM) differs — a live
 * `updateNetwork(dnsTtl)` — every entry is copied with the new TTL written in place (retime.ts)
 * instead of re-encoded; any other SOA difference builds the table afresh.
 * Returns a new table; `prevTable` is left as it was (queries in flight may still hold it).
 */
export function updateFastTable(prev: Zone, prevTable: FastTable, next: Zone): FastTable {
  if (!sameSoaBut(prev.soa, next.soa)) return buildFastTable(next);
  const retimed = prev.ttl !== next.ttl || prev.soa.minimum !== next.soa.minimum;
  const table = retimed
    ? retimeTable(prevTable, { ttl: next.ttl, soaTtl: (soaRecord(next) as { ttl: number }).ttl, soaMinimum: next.soa.minimum })
    : new Map([...prevTable].map(([qtype, names]) => [qtype, new Map(names)]));
  if (!table) return buildFastTable(next);
  const changed = new Set<string>(); // names whose records changed, appeared or disappeared
  for (const [name, records] of prev.names) {
    const now = next.names.get(name);
    if (now && sameRecords(records, now)) continue;
    changed.add(name);
    const key = wireKey(name);
    if (key) for (const type of typesOf(name, records)) table.get(TYPE_CODE[type])?.delete(key);
  }
  for (const [name, records] of next.names) {
    const before = prev.names.get(name);
    if (before && sameRecords(before, records)) continue;
    changed.add(name);
    addEntries(table, name, records, next);
  }
  // An SRV reply also carries its targets' A and AAAA records (additional section), so it changes
  // when a target's records do — an ipv6 switch adds or drops every target's AAAA — even though the
  // SRV records themselves stay the same.
  if (changed.size)
    for (const [name, records] of next.names)
      if (!changed.has(name) && records.some((r) => r.type === 'SRV' && changed.has(canonicalName(r.target)))) addEntries(table, name, records, next);
  return table;
}

/** Every entry of `table` copied with `timing` written in; null when a reply does not walk (then encode afresh). */
function retimeTable(table: FastTable, timing: Timing): MutableTable | null {
  const out: MutableTable = new Map();
  for (const [qtype, names] of table) {
    const into = new Map<string, Entry>();
    for (const [key, entry] of names) {
      const plain = retimeReply(entry.plain, timing);
      const edns = retimeReply(entry.edns, timing);
      if (!plain || !edns) return null;
      into.set(key, { plain, edns, rcode: entry.rcode });
    }
    out.set(qtype, into);
  }
  return out;
}

/** The SOA fields equal, the negative TTL (MINIMUM, which follows the network's TTL) aside. */
function sameSoaBut(a: Zone['soa'], b: Zone['soa']): boolean {
  return a.mname === b.mname && a.rname === b.rname && a.serial === b.serial && a.refresh === b.refresh && a.retry === b.retry && a.expire === b.expire;
}

function addEntries(table: MutableTable, name: string, records: readonly ZoneRecord[], zone: Zone): void {
  let key: string | undefined; // one string per name, shared by its types' maps
  for (const type of typesOf(name, records)) {
    const questions = [{ name, type, class: 'IN' as const }];
    const plainQuery = dnsPacket.encode({ type: 'query', id: 0, flags: 0, questions });
    const plain = prebuild(plainQuery, zone);
    const opt = { name: '.', type: 'OPT' as const, udpPayloadSize: EDNS_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
    const edns = prebuild(dnsPacket.encode({ type: 'query', id: 0, flags: 0, questions, additionals: [opt] }), zone);
    key ??= readQuestion(plainQuery)?.key;
    if (!plain || !edns || !key) continue;
    let names = table.get(TYPE_CODE[type]);
    if (!names) table.set(TYPE_CODE[type], (names = new Map()));
    names.set(key, { plain: plain.bytes, edns: edns.bytes, rcode: plain.rcode });
  }
}

function typesOf(name: string, records: readonly ZoneRecord[]): Set<ZoneRecordType> {
  if (!inZone(name)) return new Set();
  const types = new Set(ALWAYS);
  for (const r of records) types.add(r.type);
  return types;
}

/** The lookup key of `name`, derived exactly as addEntries derives it. */
function wireKey(name: string): string | undefined {
  return readQuestion(dnsPacket.encode({ type: 'query', id: 0, flags: 0, questions: [{ name, type: 'A', class: 'IN' }] }))?.key;
}

function sameRecords(a: readonly ZoneRecord[], b: readonly ZoneRecord[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameRecord(a[i], b[i])) return false;
  return true;
}

function sameRecord(a: ZoneRecord, b: ZoneRecord): boolean {
  if ((a.type === 'A' || a.type === 'AAAA') && a.type === b.type) return a.address === b.address; // the common records, compared cheaply
  return JSON.stringify(a) === JSON.stringify(b);
}

function prebuild(query: Buffer, zone: Zone): { bytes: Buffer; rcode: number } | null {
  const out = respondSlow(query, zone, 'tcp');
  return out.kind === 'reply' ? out : null;
}

/**
 * Answers `msg` from `table` when it is a plain query for a prebuilt name, or — given the `zone` —
 * a plain query for a name under the zone that does not exist (NXDOMAIN); null otherwise.
 */
export function lookupFast(msg: Buffer, table: FastTable, transport: Transport, zone?: Zone): Outcome | null {
  const plain = readPlainQuery(msg);
  if (!plain) return null;
  const entry = table.get(plain.question.qtype)?.get(plain.question.key);
  if (!entry) return zone ? nxdomain(msg, plain, table, zone, transport) : null;
  const template = plain.edns ? entry.edns : entry.plain;
  const limit = transport === 'tcp' ? TCP_LIMIT : plain.udpSize;
  if (template.length > limit) return null; // the slow path truncates
  const out = Buffer.allocUnsafe(template.length);
  template.copy(out);
  out[0] = msg[0];
  out[1] = msg[1];
  out[2] = (out[2] & 0xfe) | (msg[2] & 0x01); // RD
  out[3] = (out[3] & 0xef) | (msg[3] & 0x10); // CD
  msg.copy(out, 12, 12, plain.question.end); // the question as asked: its case is echoed
  if (plain.edns) out[out.length - 4] = plain.dnssecOk ? 0x80 : 0; // DO (RFC 3225 §3)
  return { kind: 'reply', bytes: out, rcode: entry.rcode, fast: true };
}

const APEX_WIRE = '\x0fprivate-network\x08internal\x00';

/**
 * NXDOMAIN for a name under the apex that no table entry knows (every existing name has an A
 * entry). Skips dns-packet's decode and answer(), and writes the same bytes as the slow path: the
 * same SOA through the same encoder, cached (respond.test checks the bytes).
 */
function nxdomain(msg: Buffer, plain: PlainQuery, table: FastTable, zone: Zone, transport: Transport): Outcome | null {
  const key = plain.question.key;
  if (!key.endsWith(APEX_WIRE) || table.get(TYPE_A)?.has(key)) return null;
  let o = 0;
  while (o < key.length - APEX_WIRE.length) o += key.charCodeAt(o) + 1;
  if (o !== key.length - APEX_WIRE.length) return null; // the suffix is not at a label boundary
  // Everything after the question (SOA, OPT) depends only on the question's length — the SOA's
  // names point at the apex, always its last 26 bytes — and on EDNS/DO: encode once, then copy.
  const qEnd = plain.question.end;
  const tailKey = `${qEnd}/${plain.edns ? (plain.dnssecOk ? 2 : 1) : 0}`;
  let tails = nxTails.get(table);
  if (!tails) nxTails.set(table, (tails = new Map()));
  let tail = tails.get(tailKey);
  if (!tail) {
    const additionals: Answer[] = plain.edns
      ? [
          {
            name: '.',
            type: 'OPT',
            udpPayloadSize: EDNS_SIZE,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: plain.dnssecOk ? 0x8000 : 0,
            flag_do: plain.dnssecOk,
            options: [],
          },
        ]
      : [];
    const response = {
      type: 'response' as const,
      id: 0,
      flags: 0,
      questions: [{ name: '', type: 'A' as const }],
      answers: [],
      authorities: [soaRecord(zone)],
      additionals,
    };
    tail = encodeResponse(response, msg.subarray(12, qEnd), TCP_LIMIT).subarray(qEnd);
    tails.set(tailKey, tail);
  }
  if (qEnd + tail.length > (transport === 'tcp' ? TCP_LIMIT : plain.udpSize)) return null;
  const out = Buffer.allocUnsafe(qEnd + tail.length);
  msg.copy(out, 0, 0, qEnd); // ID and the question as asked
  out.writeUInt16BE(0x8000 | 0x0400 | 0x0080 | (msg.readUInt16BE(2) & 0x0110) | RCODE.NXDOMAIN, 2); // QR AA RA, RD+CD copied
  out.writeUInt32BE(0x00010000, 4); // QD 1, AN 0
  out.writeUInt32BE(plain.edns ? 0x00010001 : 0x00010000, 8); // NS 1, AR 0/1
  tail.copy(out, qEnd);
  return { kind: 'reply', bytes: out, rcode: RCODE.NXDOMAIN, fast: true };
}

/** Per fast table: the reply bytes after the question of an NXDOMAIN, by question length and EDNS. */
const nxTails = new WeakMap<FastTable, Map<string, Buffer>>();
