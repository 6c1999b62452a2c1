/**
 * The API's rule for a private network's CIDR: aligned, RFC 1918, /16 to /28. Pure; the arithmetic
 * lives in protocol/addressing.
 */
import { cidrContains, type Cidr, parseCidr } from '../../protocol/addressing/ipv4.ts';
import { badInput } from './errors.ts';

const PRIVATE_BLOCKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr(c)!);

/** Validates a private network's CIDR (RFC 1918, /16 to /28) and returns it parsed. */
export function parseNetworkCidr(text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw badInput(`"${text}" is not an aligned IPv4 CIDR such as 10.240.0.0/22`, { field: 'cidr' });
  if (cidr.prefix < 16 || cidr.prefix > 28) throw badInput(`CIDR prefix must be between /16 and /28, got /${cidr.prefix}`, { field: 'cidr' });
  if (!PRIVATE_BLOCKS.some((block) => cidrContains(block, cidr))) throw badInput(`CIDR ${text} is not inside an RFC 1918 block`, { field: 'cidr' });
  return cidr;
}
