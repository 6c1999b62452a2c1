/**
 * Encoding of our own responses, with name compression and truncation.
 *
 * Owns: the bytes of every answer the server writes for the zone. dns-packet encodes names in full,
 * so an app with six containers would not fit 512 bytes and every stub without EDNS would fall back
 * to TCP; here owner names point back into the question (RFC 1035 §4.1.4). The question is copied
 * from the query's own bytes so the letter case echoes exactly. Writes every ZoneRecord type
 * (A, AAAA, SRV, TXT, PTR) plus SOA and OPT, in one switch; anything else throws and the caller
 * uses dns-packet instead. Never touches sockets; the fast path prebuilds its replies with this
 * same function.
 */
import dnsPacket, { type Answer, type Packet } from 'dns-packet';
import { parseIpv4 } from '../../protocol/addressing/ipv4.ts';
import { TYPE_CODE } from './wire.ts';

const TC = 1 << 9;

/**
 * Encodes `response`; `question` is the query's raw question (name + type + class) or undefined to
 * encode it from the packet. When the result exceeds `limit` bytes, returns the same header with TC
 * set and empty answer and authority sections, keeping the question and OPT (RFC 2181 §9) — unless
 * leaving out the additional records (all but OPT) is enough to fit.
 */
export function encodeResponse(response: Packet, question: Buffer | undefined, limit: number): Buffer {
  const full = encode(response, question, false);
  if (full.length <= limit) return full;
  // Additional data (an SRV's target addresses) is a courtesy: drop it before the answers, without
  // TC, since the answer is complete without it (RFC 2181 §9).
  const optOnly = (response.additionals ?? []).filter((a) => a.type === 'OPT');
  if (optOnly.length < (response.additionals ?? []).length) {
    const lean = encode({ ...response, additionals: optOnly }, question, false);
    if (lean.length <= limit) return lean;
  }
  return encode(response, question, true);
}

function encode(response: Packet, question: Buffer | undefined, truncated: boolean): Buffer {
  const w = new Writer();
  const answers = truncated ? [] : (response.answers ?? []);
  const authorities = truncated ? [] : (response.authorities ?? []);
  const additionals = (response.additionals ?? []).filter((a) => (truncated ? a.type === 'OPT' : true));
  const qs = response.questions ?? [];
  w.u16(response.id ?? 0);
  w.u16(0x8000 | ((response.flags ?? 0) & 0x7fff) | (truncated ? TC : 0));
  w.u16(qs.length ? 1 : 0)
    .u16(answers.length)
    .u16(authorities.length)
    .u16(additionals.length);
  if (qs.length) {
    if (question) {
      w.names.rememberWire(question, w.length);
      w.bytes(question);
    } else {
      const q = qs[0];
      w.name(q.name);
      w.u16(typeCode(q.type)).u16(1);
    }
  }
  for (const rr of [...answers, ...authorities, ...additionals]) w.record(rr);
  return w.done();
}

function typeCode(type: string): number {
  const code = (TYPE_CODE as Record<string, number>)[type];
  if (code !== undefined) return code;
  return dnsPacket.encode({ questions: [{ type: type as 'A', name: '.' }] }).readUInt16BE(13);
}

/** Lower-cased name suffix → offset where it was written, for compression pointers. */
class NameTable extends Map<string, number> {
  /** Learns every suffix of an uncompressed wire name written at `at`. */
  rememberWire(wire: Buffer, at: number): void {
    const labels: { text: string; offset: number }[] = [];
    for (let o = 0; o < wire.length && wire[o] !== 0; o += 1 + wire[o]) {
      labels.push({
        text: wire
          .subarray(o + 1, o + 1 + wire[o])
          .toString('latin1')
          .toLowerCase(),
        offset: at + o,
      });
    }
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => l.text)
        .join('.');
      if (!this.has(key)) this.set(key, labels[i].offset);
    }
  }
}

class Writer {
  private buf = Buffer.allocUnsafe(512);
  length = 0;
  readonly names = new NameTable();

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.length);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }
  bytes(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
    return this;
  }

  /**
   * Writes a presentation-form name, pointing at the longest suffix already written. `compress`
   * is false for names in the data of types newer than RFC 1035 (SRV's target: RFC 3597 §4).
   */
  name(name: string, compress = true): this {
    const labels = name
      .replace(/\.$/, '')
      .split('.')
      .filter((l) => l.length);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join('.').toLowerCase();
      const at = compress ? this.names.get(key) : undefined;
      if (at !== undefined) return this.u16(0xc000 | at);
      if (compress && this.length < 0x3fff) this.names.set(key, this.length);
      const label = Buffer.from(labels[i], 'latin1');
      this.u8(label.length).bytes(label);
    }
    return this.u8(0);
  }

  record(rr: Answer): this {
    if (rr.type === 'OPT') {
      this.u8(0).u16(TYPE_CODE.OPT).u16(rr.udpPayloadSize).u8(rr.extendedRcode).u8(rr.ednsVersion).u16(rr.flags).u16(0);
      return this;
    }
    this.name(rr.name)
      .u16(typeCode(rr.type))
      .u16(1)
      .u32(rr.ttl ?? 0);
    const lengthAt = this.length;
    this.u16(0);
    switch (rr.type) {
      case 'A':
        for (const part of rr.data.split('.')) this.u8(Number(part));
        break;
      case 'AAAA':
        this.bytes(ipv6Bytes(rr.data));
        break;
      case 'SRV': {
        const d = rr.data;
        this.u16(d.priority ?? 0)
          .u16(d.weight ?? 0)
          .u16(d.port)
          .name(d.target, false);
        break;
      }
      case 'TXT':
        for (const s of Array.isArray(rr.data) ? rr.data : [rr.data]) {
          const text = typeof s === 'string' ? Buffer.from(s) : s;
          if (text.length > 255) throw new Error('encodeResponse: a TXT string is longer than 255 bytes');
          this.u8(text.length).bytes(text);
        }
        break;
      case 'PTR':
        this.name(rr.data);
        break;
      case 'SOA': {
        const d = rr.data;
        this.name(d.mname)
          .name(d.rname)
          .u32(d.serial ?? 0)
          .u32(d.refresh ?? 0)
          .u32(d.retry ?? 0)
          .u32(d.expire ?? 0)
          .u32(d.minimum ?? 0);
        break;
      }
      default:
        throw new Error(`encodeResponse: unsupported record type ${rr.type}`);
    }
    this.buf.writeUInt16BE(this.length - lengthAt - 2, lengthAt);
    return this;
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

/** The 16 bytes of an IPv6 address in text form (`::` and a dotted IPv4 tail allowed). */
function ipv6Bytes(text: string): Buffer {
  const fail = () => new Error(`encodeResponse: not an IPv6 address: ${text}`);
  const halves = text.split('::');
  const dot = text.indexOf('.');
  if (halves.length > 2 || (dot >= 0 && dot < text.lastIndexOf(':'))) throw fail(); // a dotted quad only as the tail
  const words = (part: string): number[] =>
    (part ? part.split(':') : []).flatMap((group) => {
      if (group.includes('.')) {
        const v4 = parseIpv4(group);
        if (v4 === null) throw fail();
        return [Math.floor(v4 / 0x10000), v4 % 0x10000];
      }
      if (!/^[0-9a-f]{1,4}$/i.test(group)) throw fail();
      return [parseInt(group, 16)];
    });
  const head = words(halves[0]);
  const tail = halves.length === 2 ? words(halves[1]) : [];
  const gap = 8 - head.length - tail.length;
  if (halves.length === 2 ? gap < 1 : gap !== 0) throw fail();
  const out = Buffer.alloc(16);
  [...head, ...Array<number>(gap).fill(0), ...tail].forEach((w, i) => out.writeUInt16BE(w, 2 * i));
  return out;
}
