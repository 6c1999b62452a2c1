/**
 * IPv6 reverse names (`<32 nibbles>.ip6.arpa`, RFC 3596 §2.5) for the PTR records of dual-stack
 * networks (issue 21), the counterpart of reverse.ts.
 *
 * Owns: turning an IPv6 address into its nibble name and back, and the rule for which ip6.arpa
 * names Weft answers. Weft's v6 space is unique-local (fc00::/7, RFC 4193), the only space the API
 * gives a network (src/domain/network-ipv6.ts). Inside it a network answers its own /64 and says
 * NXDOMAIN for the rest — another network's /64 and addresses nobody uses — under the locally served
 * zone of its /8 (`d.f.ip6.arpa`, RFC 6303 §4.5; `c.f.ip6.arpa` likewise); ip6.arpa names outside
 * fc00::/7 are forwarded upstream. Pure and runtime-neutral.
 */
import { type Cidr6, parseIpv6 } from '../addressing/ipv6.ts';

const ARPA6 = 'ip6.arpa';
const NIBBLE = /^[0-9a-f]$/;
const ULA = { base: 0xfcn << 120n, prefix: 7 };

/** The reverse name of an IPv6 address (any valid text), lower-case without the trailing dot. */
export function ptrName6(address: string): string {
  const value = parseIpv6(address);
  if (value === null) throw new Error(`ptrName6: not an IPv6 address: ${address}`);
  return `${value.toString(16).padStart(32, '0').split('').reverse().join('.')}.${ARPA6}`;
}

/**
 * The prefix a reverse name stands for (`d.f.ip6.arpa` → fd00::/8), or null for a name that is not
 * 1 to 32 nibble labels under ip6.arpa. `name` is canonical (lower-case, no trailing dot).
 */
export function parseReverse6(name: string): Cidr6 | null {
  if (!name.endsWith(`.${ARPA6}`)) return null;
  const labels = name.slice(0, -ARPA6.length - 1).split('.');
  if (labels.length < 1 || labels.length > 32 || !labels.every((l) => NIBBLE.test(l))) return null;
  const prefix = 4 * labels.length;
  const high = BigInt(`0x${labels.reverse().join('')}`);
  return { base: high << BigInt(128 - prefix), prefix };
}

/** True when two blocks share an address. */
export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  const shorter = BigInt(128 - Math.min(a.prefix, b.prefix));
  return a.base >> shorter === b.base >> shorter;
}

/** The reverse zone that holds `cidr`: its prefix rounded down to a nibble (fd77:6674:0:1092::/64 → 2.9.0.1.0.0.0.0.4.7.6.6.7.7.d.f.ip6.arpa). */
export function reverseApex6Of(cidr: Cidr6): string {
  const nibbles = Math.floor(cidr.prefix / 4);
  if (nibbles === 0) return ARPA6;
  const high = (cidr.base >> BigInt(128 - 4 * nibbles)).toString(16).padStart(nibbles, '0');
  return `${high.split('').reverse().join('.')}.${ARPA6}`;
}

/**
 * The locally served reverse zone of a prefix inside fc00::/7 — `c.f.ip6.arpa` or `d.f.ip6.arpa` —
 * or null when the prefix is outside it (or wider than a /8), which is then forwarded.
 */
export function weftReverseZone6Of(prefix: Cidr6): string | null {
  if (prefix.prefix < 8 || !overlaps6(prefix, ULA)) return null;
  return reverseApex6Of({ base: prefix.base, prefix: 8 });
}
