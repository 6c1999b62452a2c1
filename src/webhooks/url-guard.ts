/**
 * SSRF guard for webhook URLs. An endpoint URL must be http(s), carry no credentials, and — unless
 * WEBHOOK_ALLOW_PRIVATE_TARGETS=true — must not point at this machine or a private network: no
 * address in V4_BLOCKED or V6_BLOCKED below (loopback, RFC 1918, link-local, CGNAT, which is also
 * Weft's mesh, unique-local, multicast, reserved, and the IPv6 forms that embed or reach IPv4),
 * written in any form the WHATWG URL parser accepts (it canonicalises `127.1`, `0x7f.0.0.1` and
 * `2130706433` to `127.0.0.1`, and IPv6 to its compressed form), and no `localhost`, `.localhost`,
 * `.local`, `.localdomain`, `.internal`, `.home.arpa` or single-label name (a trailing dot is ignored).
 *
 * This check sees the URL only. A public name can still resolve to a private address (DNS
 * rebinding): the sender must check the address it actually connects to — `isPublicAddress` is
 * exported for that (see src/node/webhook-sender.ts and docs/webhooks.md).
 */
import { badInput } from '../domain/errors.ts';
import { parseIpv4 } from '../../protocol/addressing/ipv4.ts';

const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // CGNAT, and Weft's own mesh
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

function v4Blocked(value: number): boolean {
  return V4_BLOCKED.some(([base, prefix]) => Math.floor(value / 2 ** (32 - prefix)) === Math.floor(parseIpv4(base)! / 2 ** (32 - prefix)));
}

/** Parses an IPv6 address (with an optional dotted IPv4 tail) into eight 16-bit groups, or null. */
export function parseIpv6(text: string): number[] | null {
  let s = text.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const v4 = parseIpv4(tail[1]);
    if (v4 === null) return null;
    s = `${s.slice(0, -tail[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * Blocked IPv6 prefixes, as [prefix, length, group of an embedded IPv4 address]. A prefix that
 * embeds an IPv4 address at a known position blocks only what the embedded address would (a public
 * IPv4 reached through IPv4-mapped or NAT64 stays a public target); every other one blocks outright.
 */
const V6_BLOCKED: [string, number, number?][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96, 6], // IPv4-compatible (deprecated), ::a.b.c.d
  ['::ffff:0:0', 96, 6], // IPv4-mapped, ::ffff:a.b.c.d
  ['::ffff:0:0:0', 96], // IPv4-translated (RFC 2765, SIIT): never a delivery target
  ['64:ff9b::', 96, 6], // NAT64 well-known prefix (RFC 6052)
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): where the IPv4 sits depends on the operator's prefix length
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 32], // Teredo: the client's IPv4 is obfuscated, so the embedded address cannot be checked
  ['2001:db8::', 32], // documentation
  ['2002::', 16, 1], // 6to4, 2002:a.b.c.d::/48
  ['3fff::', 20], // documentation (RFC 9637)
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const V6_TABLE = V6_BLOCKED.map(([base, length, v4At]) => ({ base: parseIpv6(base)!, length, v4At }));

/** True when the first `length` bits of two addresses (as 16-bit groups) agree. */
function samePrefix(a: number[], b: number[], length: number): boolean {
  for (let i = 0; i * 16 < length; i++) {
    const mask = (0xffff << (16 - Math.min(16, length - i * 16))) & 0xffff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}

function v6Blocked(g: number[]): boolean {
  return V6_TABLE.some(({ base, length, v4At }) => samePrefix(g, base, length) && (v4At === undefined || v4Blocked(g[v4At] * 65536 + g[v4At + 1])));
}

/** True for an IP address (v4 or v6 text) that an integration may be delivered to. */
export function isPublicAddress(address: string): boolean {
  const v4 = parseIpv4(address);
  if (v4 !== null) return !v4Blocked(v4);
  const v6 = parseIpv6(address);
  return v6 !== null && !v6Blocked(v6);
}

const PRIVATE_SUFFIXES = ['.localhost', '.local', '.localdomain', '.localdomain6', '.internal', '.home.arpa'];

/**
 * Validates an endpoint URL and returns it normalised; throws BAD_USER_INPUT with the reason.
 * With `allowPrivateTargets`, only the scheme, credentials and length are checked.
 */
export function checkWebhookUrl(text: string, options: { allowPrivateTargets: boolean }): string {
  if (text.length > 2048) throw badInput('webhook URL is longer than 2048 characters', { field: 'url' });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(`"${text}" is not a valid URL`, { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badInput(`webhook URL must be http or https, not ${url.protocol.replace(/:$/, '')}`, { field: 'url' });
  if (url.username || url.password) throw badInput('webhook URL must not contain credentials; verify the webhook signature instead', { field: 'url' });
  url.hash = '';
  if (options.allowPrivateTargets) return url.toString();

  const host = url.hostname.replace(/\.+$/, '').toLowerCase();
  const refuse = (why: string) =>
    badInput(`webhook URL ${why}; private and loopback targets are refused unless the operator sets WEBHOOK_ALLOW_PRIVATE_TARGETS=true`, {
      field: 'url',
      host,
    });
  if (host.startsWith('[')) {
    if (!isPublicAddress(host.slice(1, -1))) throw refuse(`points at a private, loopback or reserved IPv6 address (${host})`);
  } else if (parseIpv4(host) !== null) {
    if (!isPublicAddress(host)) throw refuse(`points at a private, loopback or reserved IPv4 address (${host})`);
  } else if (host === 'localhost' || PRIVATE_SUFFIXES.some((s) => host.endsWith(s))) {
    throw refuse(`names a local host (${host})`);
  } else if (!host.includes('.')) {
    throw refuse(`names a single-label host (${host}), which only resolves on a private network`);
  }
  return url.toString();
}
