/**
 * IPv6 arithmetic for dual-stack private networks (issue 21, docs/agent-dataplane.md "IPv6").
 * Pure and runtime-neutral, like its sibling ipv4.ts: the API (Node and Worker) and the agent both use
 * it, so a container's v6 address is derived the same way on both sides and never travels in a
 * container payload.
 *
 * - A network's IPv6 block is a unique-local /64 (RFC 4193). Unless one is given at creation it is
 *   derived from the VNI: `fd77:6674:VVVV:VVVV::/64` with the VNI in the last 32 bits of the prefix
 *   (`fd` + "wft", then the VNI), so two networks of one deployment never share a prefix.
 * - The host part follows the IPv4 rules: a container at offset k of the IPv4 CIDR gets offset k of
 *   the /64, and the gateway is offset 1 (`<prefix>::1`). Its MAC is unchanged (derived from the IPv4).
 */
import { parseCidr, parseIpv4 } from './ipv4.ts';

/** A /64 as its first address; the only prefix length a network uses. */
export interface Cidr6 {
  base: bigint;
  prefix: number;
}

const MAX = (1n << 128n) - 1n;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/** Parses an IPv6 address (RFC 4291 text, `::` allowed, no zone, no embedded IPv4), or returns null. */
export function parseIpv6(text: string): bigint | null {
  if (text.length === 0 || text.length > 39) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (s: string) => (s === '' ? [] : s.split(':'));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const groups = halves.length === 2 ? head.length + tail.length : head.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return null;
  const all = [...head, ...Array<string>(8 - groups).fill('0'), ...tail];
  let value = 0n;
  for (const g of all) {
    if (!HEXTET.test(g)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(g, 16));
  }
  return value;
}

/** Formats an address in the canonical text of RFC 5952: lower case, no leading zeros, the longest run of ≥ 2 zero groups as `::`. */
export function formatIpv6(value: bigint): string {
  if (value < 0n || value > MAX) throw new Error(`formatIpv6: out of range: ${value}`);
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (best.length < 2) return hex(groups);
  return `${hex(groups.slice(0, best.start))}::${hex(groups.slice(best.start + best.length))}`;
}

/** Parses `<address>/<n>` with the address aligned on the prefix, or returns null. */
export function parseCidr6(text: string): Cidr6 | null {
  const [ip, len, ...rest] = text.split('/');
  if (rest.length || len === undefined || !/^\d{1,3}$/.test(len)) return null;
  const base = parseIpv6(ip);
  const prefix = Number(len);
  if (base === null || prefix > 128) return null;
  const hostMask = (1n << BigInt(128 - prefix)) - 1n;
  if ((base & hostMask) !== 0n) return null;
  return { base, prefix };
}

/** True for a unique-local address or block (fc00::/7, RFC 4193). */
export function isUniqueLocal(value: bigint): boolean {
  return value >> 121n === 0x7en;
}

const DERIVED_HIGH = 0xfd776674n; // fd + "wft"

/** The network's /64 derived from its VNI: `fd77:6674:<vni, 32 bits>::/64`. */
export function ulaOfVni(vni: number): string {
  if (!Number.isInteger(vni) || vni < 1 || vni > 0xffffff) throw new Error(`ulaOfVni: not a VNI: ${vni}`);
  return `${formatIpv6((DERIVED_HIGH << 96n) | (BigInt(vni) << 64n))}/64`;
}

/** The address at `offset` of a /64, as text. */
export function ipv6AtOffset(cidr6: string, offset: number): string {
  const block = parseCidr6(cidr6);
  if (block?.prefix !== 64) throw new Error(`ipv6AtOffset: not a /64: ${cidr6}`);
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`ipv6AtOffset: bad offset ${offset}`);
  return formatIpv6(block.base + BigInt(offset));
}

/** The v6 gateway (the network's DNS resolver over IPv6): offset 1, like the IPv4 gateway. */
export function gateway6Of(cidr6: string): string {
  return ipv6AtOffset(cidr6, 1);
}

/**
 * A container's v6 address: the offset of its IPv4 address in the network's IPv4 CIDR, taken in the
 * network's /64. Null when the network has no IPv6 (its switch is OFF) or the IPv4 is outside the CIDR.
 */
export function containerIpv6(network: { cidr: string; ipv6?: { cidr: string } | null }, ip: string): string | null {
  if (!network.ipv6) return null;
  const cidr = parseCidr(network.cidr);
  const value = parseIpv4(ip);
  if (!cidr || value === null || value < cidr.base || value >= cidr.base + cidr.size) return null;
  return ipv6AtOffset(network.ipv6.cidr, value - cidr.base);
}
