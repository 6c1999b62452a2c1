/**
 * Reverse names (`d.c.b.a.in-addr.arpa`, RFC 1035 §3.5) for the zone's PTR records (issue 19).
 *
 * Owns: turning an IPv4 address into its reverse name and back, and the rule for which reverse
 * names Weft answers. Weft's CIDRs are the RFC 1918 blocks, the only space the API hands to a
 * network (src/domain/network-cidr.ts). Inside them a network answers its own CIDR and says
 * NXDOMAIN for the rest — another network's addresses (CIDRs may overlap between networks, so
 * "another network's PTR" has no single answer) and addresses nobody uses; reverse names outside
 * them are forwarded upstream. Pure and runtime-neutral.
 */
import { type Cidr, parseCidr } from '../addressing/ipv4.ts';

const ARPA = 'in-addr.arpa';
const WEFT_BLOCKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr(c)!);

/** The reverse name of a dotted quad, lower-case without the trailing dot. */
export function ptrName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.${ARPA}`;
}

/**
 * The address prefix a reverse name stands for (`240.10.in-addr.arpa` → 10.240.0.0/16), or null
 * for a name that is not a reverse IPv4 name of 1 to 4 octets. `name` is canonical (lower-case, no dot).
 */
export function parseReverse(name: string): Cidr | null {
  if (!name.endsWith(`.${ARPA}`)) return null;
  const labels = name.slice(0, -ARPA.length - 1).split('.');
  if (labels.length < 1 || labels.length > 4 || !labels.every((l) => /^(0|[1-9]\d{0,2})$/.test(l) && Number(l) < 256)) return null;
  const octets = labels.reverse().map(Number);
  const base = [0, 1, 2, 3].reduce((acc, i) => acc * 256 + (octets[i] ?? 0), 0);
  const prefix = 8 * octets.length;
  return { base, prefix, size: 2 ** (32 - prefix) };
}

/** True when two blocks share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** The reverse zone that holds `cidr`: its prefix rounded down to an octet boundary (10.240.0.0/22 → 240.10.in-addr.arpa). */
export function reverseApexOf(cidr: Cidr): string {
  const octets = Math.floor(cidr.prefix / 8);
  const parts = [24, 16, 8, 0].slice(0, octets).map((shift) => Math.floor(cidr.base / 2 ** shift) % 256);
  return [...parts.reverse(), ARPA].join('.');
}

/**
 * The locally served reverse zone (RFC 6303) of a prefix inside Weft's CIDRs — `10.in-addr.arpa`,
 * `<16–31>.172.in-addr.arpa`, `168.192.in-addr.arpa` — or null when the prefix is outside them
 * (or wider than one of them), which is then forwarded.
 */
export function weftReverseZoneOf(prefix: Cidr): string | null {
  const block = WEFT_BLOCKS.find((b) => prefix.prefix >= b.prefix && prefix.base >= b.base && prefix.base < b.base + b.size);
  if (!block) return null;
  return reverseApexOf({ ...prefix, prefix: Math.ceil(block.prefix / 8) * 8 });
}
