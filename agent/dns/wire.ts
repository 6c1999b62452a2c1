/**
 * Wire-level reading of DNS queries, without a full decode.
 *
 * Owns: the few byte offsets the server needs before (or instead of) dns-packet — the question's
 * extent, its lower-cased lookup key, and whether the message is a "plain" query the fast path may
 * answer. Never allocates more than one string per query and never throws: the server calls it on
 * every datagram, including hostile ones.
 */

export const HEADER_BYTES = 12;
/** The codes of every type we write: the zone's record types, SOA and OPT. */
export const TYPE_CODE = { A: 1, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41 } as const;
export const TYPE_A = TYPE_CODE.A;
export const TYPE_AAAA = TYPE_CODE.AAAA;
export const TYPE_OPT = TYPE_CODE.OPT;
export const CLASS_IN = 1;
/** The classic UDP limit without EDNS (RFC 1035) and the cap on EDNS sizes (DNS flag day 2020). */
export const UDP_PLAIN_LIMIT = 512;
export const UDP_EDNS_CAP = 1232;

/** Where a message's single question ends, and what it asks, read straight from the bytes. */
export interface WireQuestion {
  end: number; // offset just past QTYPE/QCLASS
  nameEnd: number; // offset just past the name's root label
  qtype: number;
  qclass: number;
  /** The name in wire form as a latin1 string, lower-cased: a cheap, exact lookup key. */
  key: string;
}

/**
 * Reads the first question of `msg` without following compression pointers (a question has nothing
 * to point back to). Returns null for anything that is not a well-formed uncompressed name.
 */
export function readQuestion(msg: Buffer): WireQuestion | null {
  let o = HEADER_BYTES;
  while (true) {
    if (o >= msg.length) return null;
    const len = msg[o];
    if (len === 0) break;
    if (len > 63) return null; // pointers and reserved label types
    o += 1 + len;
    if (o - HEADER_BYTES > 254) return null;
  }
  const nameEnd = o + 1;
  if (nameEnd + 4 > msg.length) return null;
  // Label-length bytes are ≤ 63, so lower-casing can only touch label text. Non-ASCII latin1
  // letters fold too, which is harmless: no key we build contains them.
  const key = msg.toString('latin1', HEADER_BYTES, nameEnd).toLowerCase();
  return { end: nameEnd + 4, nameEnd, qtype: msg.readUInt16BE(nameEnd), qclass: msg.readUInt16BE(nameEnd + 2), key };
}

/** What a plain query asks for: the transport size it accepts and its EDNS DO bit. */
export interface PlainQuery {
  question: WireQuestion;
  edns: boolean;
  udpSize: number; // the client's limit for a UDP reply, already capped
  dnssecOk: boolean;
}

/**
 * Recognises the overwhelmingly common query shape: QR=0, opcode QUERY, one IN question, no answer
 * or authority records, and at most a version-0 OPT as the only additional record, consuming the
 * message exactly. Anything else returns null and takes the slow path, which decodes fully.
 */
export function readPlainQuery(msg: Buffer): PlainQuery | null {
  if (msg.length < HEADER_BYTES + 5) return null;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || (flags >> 11) & 0xf || flags & 0x0200) return null; // QR, opcode, TC
  if (msg.readUInt16BE(4) !== 1 || msg.readUInt16BE(6) !== 0 || msg.readUInt16BE(8) !== 0) return null;
  const ar = msg.readUInt16BE(10);
  if (ar > 1) return null;
  const question = readQuestion(msg);
  if (!question || question.qclass !== CLASS_IN) return null;
  if (ar === 0) {
    return question.end === msg.length ? { question, edns: false, udpSize: UDP_PLAIN_LIMIT, dnssecOk: false } : null;
  }
  const o = question.end;
  if (o + 11 > msg.length || msg[o] !== 0 || msg.readUInt16BE(o + 1) !== TYPE_OPT) return null;
  if (msg[o + 5] !== 0 || msg[o + 6] !== 0) return null; // extended rcode and version must be 0
  if (o + 11 + msg.readUInt16BE(o + 9) !== msg.length) return null;
  const advertised = msg.readUInt16BE(o + 3);
  const udpSize = Math.min(Math.max(advertised, UDP_PLAIN_LIMIT), UDP_EDNS_CAP);
  return { question, edns: true, udpSize, dnssecOk: (msg[o + 7] & 0x80) !== 0 };
}

/** The size a UDP reply may have for a decoded query's OPT payload size (or none). */
export function udpLimit(optPayloadSize: number | undefined): number {
  if (optPayloadSize === undefined) return UDP_PLAIN_LIMIT;
  return Math.min(Math.max(optPayloadSize, UDP_PLAIN_LIMIT), UDP_EDNS_CAP);
}

/**
 * Checks that `msg` is structurally sound — every name (following compression pointers, at most
 * 128 hops and 255 bytes) and every record fits the bytes — before dns-packet decodes it. Random
 * bytes with huge section counts cost dns-packet up to tens of milliseconds each; this walk is
 * linear in the message size, so hostile packets cannot buy our CPU.
 */
export function isWellFormed(msg: Buffer): boolean {
  if (msg.length < HEADER_BYTES) return false;
  const qd = msg.readUInt16BE(4);
  const rr = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  // Each question needs at least 5 bytes, each record 11: reject impossible counts up front.
  if (HEADER_BYTES + qd * 5 + rr * 11 > msg.length) return false;
  let o = HEADER_BYTES;
  for (let i = 0; i < qd; i++) {
    o = skipName(msg, o);
    if (o < 0 || (o += 4) > msg.length) return false;
  }
  for (let i = 0; i < rr; i++) {
    o = skipName(msg, o);
    if (o < 0 || o + 10 > msg.length) return false;
    o += 10 + msg.readUInt16BE(o + 8);
    if (o > msg.length) return false;
  }
  return o === msg.length;
}

/** The offset after the name at `start`, or -1 when it is malformed or loops. */
function skipName(msg: Buffer, start: number): number {
  let o = start;
  let end = -1;
  let total = 0;
  for (let hops = 0; hops < 128; ) {
    if (o >= msg.length) return -1;
    const len = msg[o];
    if (len === 0) return end < 0 ? o + 1 : end;
    if ((len & 0xc0) === 0xc0) {
      if (o + 1 >= msg.length) return -1;
      if (end < 0) end = o + 2;
      const target = ((len & 0x3f) << 8) | msg[o + 1];
      if (target >= o) return -1; // only backwards: guarantees progress
      o = target;
      hops++;
      continue;
    }
    if (len & 0xc0) return -1;
    total += len + 1;
    if (total > 255) return -1;
    o += len + 1;
  }
  return -1;
}
