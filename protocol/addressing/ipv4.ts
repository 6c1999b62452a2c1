/**
 * IPv4 arithmetic for private networks and the mesh, and the MAC derived from a container's IP.
 * Pure and runtime-neutral: the API (Node and Worker) and the agent both use it. IPv6 joins as a
 * sibling module of this directory.
 */

export interface Cidr {
  base: number; // network address as an unsigned 32-bit integer
  prefix: number;
  size: number; // number of addresses in the block
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses a dotted quad into an unsigned integer, or returns null. */
export function parseIpv4(text: string): number | null {
  if (!IPV4.test(text)) return null;
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Formats an unsigned integer as a dotted quad. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses `a.b.c.d/n` with the address aligned on the prefix, or returns null. */
export function parseCidr(text: string): Cidr | null {
  const [ip, len, ...rest] = text.split('/');
  if (rest.length || len === undefined || !/^\d{1,2}$/.test(len)) return null;
  const base = parseIpv4(ip);
  const prefix = Number(len);
  if (base === null || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return null;
  return { base, prefix, size };
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

/** Offsets a container may take: not the network address, not the gateway (offset 1), not broadcast. */
export function usableOffsets(cidr: Cidr): { first: number; last: number } {
  return { first: 2, last: cidr.size - 2 };
}

/** The gateway: the first usable address, reserved for the network's DNS. */
export function gatewayOf(cidr: Cidr): string {
  return formatIpv4(cidr.base + 1);
}

/** The MAC of a container, derived from its IP: 02:00 (locally administered, unicast) + the 4 IP bytes. */
export function macOf(ip: string): string {
  const value = parseIpv4(ip);
  if (value === null) throw new Error(`macOf: not an IPv4 address: ${ip}`);
  const bytes = [0x02, 0x00, ...[24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
