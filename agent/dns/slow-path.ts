/**
 * The full-codec path from query bytes to reply bytes: dns-packet decodes, `answer()` decides,
 * `encodeResponse` writes.
 *
 * Owns: the transport size limit, FORMERR for undecodable queries, and the outcome type both paths
 * return. Never throws on any input: this runs on every datagram the fast path does not take, and
 * the fast path builds its tables by running it. Never touches sockets.
 */
import dnsPacket from 'dns-packet';
import type { Zone } from '../../protocol/dns/zone.ts';
import { answer } from './answer.ts';
import { encodeResponse } from './encode.ts';
import { HEADER_BYTES, isWellFormed, readQuestion, udpLimit } from './wire.ts';

export type Transport = 'udp' | 'tcp';
/** TCP replies are bounded only by the 16-bit length prefix. */
export const TCP_LIMIT = 65535;

export type Outcome = { kind: 'reply'; bytes: Buffer; rcode: number; fast: boolean } | { kind: 'forward' } | { kind: 'drop' };

/** The full-codec path: dns-packet decodes, `answer()` decides, `encodeResponse` writes. */
export function respondSlow(msg: Buffer, zone: Zone | undefined, transport: Transport): Outcome {
  let query: dnsPacket.DecodedPacket;
  if (!isWellFormed(msg)) return formErr(msg);
  try {
    query = dnsPacket.decode(msg);
  } catch {
    return formErr(msg);
  }
  let decision;
  try {
    decision = answer(query, zone);
  } catch {
    return formErr(msg); // e.g. a question whose name dns-packet decoded into something odd
  }
  if (decision.kind !== 'reply') return decision;
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT');
  const limit = transport === 'tcp' ? TCP_LIMIT : udpLimit(opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : undefined);
  const q = readQuestion(msg);
  const raw = q && (query.questions ?? []).length ? msg.subarray(HEADER_BYTES, q.end) : undefined;
  const response = decision.response;
  let bytes: Buffer;
  try {
    bytes = encodeResponse(response, raw, limit);
  } catch {
    bytes = dnsPacket.encode(response);
  }
  const ext = (response.additionals ?? []).find((a) => a.type === 'OPT');
  const rcode = ((response.flags ?? 0) & 0xf) | (ext && 'extendedRcode' in ext ? ext.extendedRcode << 4 : 0);
  return { kind: 'reply', bytes, rcode, fast: false };
}

/**
 * A header-only FORMERR for a query we cannot decode (RFC 1035 §4.1.1). Replies are never larger
 * than the query, so this cannot amplify; messages with QR set or shorter than a header are dropped.
 */
export function formErr(msg: Buffer): Outcome {
  if (msg.length < HEADER_BYTES || msg[2] & 0x80) return { kind: 'drop' };
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(msg.readUInt16BE(0), 0);
  out[2] = 0x80 | (msg[2] & 0x79); // QR + the query's opcode and RD
  out[3] = 0x80 | 1; // RA, FORMERR
  return { kind: 'reply', bytes: out, rcode: 1, fast: false };
}
