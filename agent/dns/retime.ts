/**
 * A live TTL change without re-encoding: the prebuilt replies of a network get the new TTL written
 * into their bytes (issue 19, "Live network settings").
 *
 * Owns: walking a DNS message's resource records and overwriting their TTL fields, and the SOA's
 * negative-caching TTL (its MINIMUM), in a copy. A TTL is a fixed 32-bit field and never changes a
 * record's length or its name compression, so the result is byte for byte what encoding the same
 * reply with the new TTL gives (patch.test.ts checks it against a table built from scratch). The
 * OPT pseudo-record is left alone: its "TTL" holds the extended RCODE and flags (RFC 6891 §6.1.3).
 * Pure; a message it cannot walk to its end yields null and the caller encodes afresh.
 */

const TYPE_SOA = 6;
const TYPE_OPT = 41;

/** The TTLs to write: every record's, and the SOA's own TTL and MINIMUM. */
export interface Timing {
  ttl: number;
  soaTtl: number;
  soaMinimum: number;
}

/** A copy of `reply` with every record's TTL (and the SOA's MINIMUM) set from `timing`, or null if it does not parse. */
export function retimeReply(reply: Buffer, timing: Timing): Buffer | null {
  if (reply.length < 12) return null;
  const out = Buffer.from(reply);
  const questions = out.readUInt16BE(4);
  const records = out.readUInt16BE(6) + out.readUInt16BE(8) + out.readUInt16BE(10);
  let o = 12;
  for (let i = 0; i < questions; i++) {
    o = skipName(out, o);
    if (o < 0 || o + 4 > out.length) return null;
    o += 4; // QTYPE, QCLASS
  }
  for (let i = 0; i < records; i++) {
    o = skipName(out, o);
    if (o < 0 || o + 10 > out.length) return null;
    const type = out.readUInt16BE(o);
    const length = out.readUInt16BE(o + 8);
    const end = o + 10 + length;
    if (end > out.length) return null;
    if (type === TYPE_SOA) {
      if (length < 20) return null;
      out.writeUInt32BE(timing.soaTtl, o + 4);
      out.writeUInt32BE(timing.soaMinimum, end - 4);
    } else if (type !== TYPE_OPT) out.writeUInt32BE(timing.ttl, o + 4);
    o = end;
  }
  return o === out.length ? out : null;
}

/** The offset after the (possibly compressed) name at `o`, or −1 when it runs past the message. */
function skipName(msg: Buffer, o: number): number {
  while (o < msg.length) {
    const len = msg[o];
    if (len === 0) return o + 1;
    if ((len & 0xc0) === 0xc0) return o + 2 <= msg.length ? o + 2 : -1; // a pointer ends the name
    if (len & 0xc0) return -1; // reserved label types
    o += 1 + len;
  }
  return -1;
}
