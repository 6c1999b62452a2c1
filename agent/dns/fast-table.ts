/**
 * The fast path's index: (name in wire form, qtype) → prebuilt replies, looked up straight from a
 * query's bytes.
 *
 * Owns: hashing the question's name bytes (ASCII letters folded to lower case, RFC 4343) with its
 * qtype, and comparing the bytes of the candidates. A lookup allocates nothing — no key string, no
 * lower-cased copy — which matters at ~100k queries a second per core. Tables are copied on
 * write (`with`), so a table a query is reading is never changed under it. Pure: no sockets.
 */

/** The replies prebuilt for one (name, qtype). */
export interface Entry {
  name: Buffer; // the name in wire form, lower-case
  qtype: number;
  plain: Buffer; // reply to a query without OPT
  edns: Buffer; // reply to a query with a version-0 OPT (ends with our 11-byte OPT)
  rcode: number;
}

/** An immutable table of entries; `with` returns a changed copy. */
export class FastTable {
  // Buckets are never changed once the table is published: `with` copies the ones it changes.
  private readonly buckets: Map<number, readonly Entry[]>;
  readonly size: number;

  constructor(buckets: Map<number, readonly Entry[]> = new Map(), size = 0) {
    this.buckets = buckets;
    this.size = size;
  }

  /** The entry for the name at msg[start, end) (wire form, any case) and `qtype`, if any. */
  find(msg: Buffer, start: number, end: number, qtype: number): Entry | undefined {
    const bucket = this.buckets.get(hashWire(msg, start, end, qtype));
    if (!bucket) return undefined;
    for (const e of bucket) if (e.qtype === qtype && sameName(e.name, msg, start, end)) return e;
    return undefined;
  }

  /** A copy with `add` set (replacing entries of the same name and type) and `remove` gone. */
  with(add: readonly Entry[], remove: readonly { name: Buffer; qtype: number }[] = []): FastTable {
    const buckets = new Map(this.buckets);
    let size = this.size;
    const change = (name: Buffer, qtype: number, entry?: Entry) => {
      const h = hashWire(name, 0, name.length, qtype);
      const old = buckets.get(h) ?? [];
      const kept = old.filter((e) => !(e.qtype === qtype && e.name.equals(name)));
      size += kept.length - old.length + (entry ? 1 : 0);
      if (entry) kept.push(entry);
      if (kept.length) buckets.set(h, kept);
      else buckets.delete(h);
    };
    for (const r of remove) change(r.name, r.qtype);
    for (const e of add) change(e.name, e.qtype, e);
    return new FastTable(buckets, size);
  }

  /** Every entry, keyed `<wire name as latin1>/<qtype>` (tests and diagnostics). */
  entries(): Map<string, Entry> {
    const out = new Map<string, Entry>();
    for (const bucket of this.buckets.values()) for (const e of bucket) out.set(`${e.name.toString('latin1')}/${e.qtype}`, e);
    return out;
  }
}

/** FNV-1a over the name's bytes with ASCII letters folded, then the qtype; kept within a small integer. */
function hashWire(bytes: Buffer, start: number, end: number, qtype: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    h = Math.imul(h ^ (b >= 0x41 && b <= 0x5a ? b | 0x20 : b), 0x01000193);
  }
  h = Math.imul(h ^ (qtype & 0xff), 0x01000193);
  h = Math.imul(h ^ (qtype >> 8), 0x01000193);
  return h & 0x3fffffff;
}

/** True when msg[start, end) is `name` (lower-case) up to the case of ASCII letters. */
function sameName(name: Buffer, msg: Buffer, start: number, end: number): boolean {
  if (name.length !== end - start) return false;
  for (let i = 0; i < name.length; i++) {
    const b = msg[start + i];
    if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== name[i]) return false;
  }
  return true;
}

/** True when the name at msg[start, end) ends with `suffix` (lower-case wire form), ASCII case folded. */
export function endsWithName(msg: Buffer, start: number, end: number, suffix: Buffer): boolean {
  return end - start >= suffix.length && sameName(suffix, msg, end - suffix.length, end);
}
