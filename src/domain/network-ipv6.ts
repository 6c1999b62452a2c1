/**
 * The API's rules for a network's IPv6 block (docs/architecture.md "Dual-stack IPv6"). Pure; the
 * arithmetic lives in protocol/addressing/ipv6.ts.
 *
 * - Every network owns a unique-local /64, stored even while its `ipv6` switch is OFF, so switching
 *   back on gives every container the address it had.
 * - It is derived from the VNI (`fd77:6674:<vni>::/64`) unless one is given at creation. A given
 *   block must be a unique-local /64, aligned, and outside fd77:6674::/32, which is reserved for
 *   derived blocks: a given block can then never take the /64 a later VNI derives.
 * - A container's v6 address is never stored: it is containerIpv6(network, ipv4).
 */
import { formatIpv6, gateway6Of, isUniqueLocal, parseCidr6, parseIpv6, ulaOfVni } from '../../protocol/addressing/ipv6.ts';
import type { NetworkIpv6, NetworkSwitch } from '../../protocol/model.ts';
import { badInput } from './errors.ts';

const DERIVED_SPACE = parseIpv6('fd77:6674::')! >> 96n; // the /32 ulaOfVni derives from

/** Validates a /64 given at creation and returns it in canonical text (RFC 5952), or throws BAD_USER_INPUT on `field`. */
export function parseGivenIpv6Cidr(text: string, field = 'ipv6Cidr'): string {
  const block = parseCidr6(text.trim());
  if (!block) throw badInput(`"${text}" is not an aligned IPv6 CIDR such as fd12:3456:789a:1::/64`, { field });
  if (block.prefix !== 64) throw badInput(`a network's IPv6 block must be a /64, got /${block.prefix}`, { field });
  if (!isUniqueLocal(block.base)) throw badInput(`${text} is not unique-local (fc00::/7, RFC 4193)`, { field });
  if (block.base >> 96n === DERIVED_SPACE) throw badInput(`${text} is inside fd77:6674::/32, which is reserved for the blocks derived from VNIs`, { field });
  return `${formatIpv6(block.base)}/64`;
}

/** The network's /64: the stored one, or (on a row no migration filled) the one derived from its VNI. */
export function ipv6CidrOf(network: { vni: number; ipv6Cidr: string | null }): string {
  return network.ipv6Cidr ?? ulaOfVni(network.vni);
}

/** The network's IPv6 as the host model carries it: `{cidr, gateway}` when its switch is ON, else undefined. */
export function networkIpv6Of(network: { vni: number; ipv6: NetworkSwitch; ipv6Cidr: string | null }): NetworkIpv6 | undefined {
  if (network.ipv6 !== 'ON') return undefined;
  const cidr = ipv6CidrOf(network);
  return { cidr, gateway: gateway6Of(cidr) };
}
