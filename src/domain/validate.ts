/**
 * Validation of host-facing input: WireGuard keys and underlay endpoints. Pure.
 */
import { badInput } from './errors.ts';
import { parseIpv4 } from '../../protocol/addressing/ipv4.ts';

/** A WireGuard public key: standard base64 of exactly 32 bytes. */
export function assertWireguardKey(value: string): string {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$/.test(value)) {
    throw badInput('publicKey must be a WireGuard public key: base64 of 32 bytes (44 characters ending in "=")', { field: 'publicKey' });
  }
  return value;
}

/** An underlay endpoint: `ipv4:port` or `[ipv6]:port`, port 1-65535. */
export function assertEndpoint(value: string): string {
  const v4 = /^([\d.]+):(\d{1,5})$/.exec(value);
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(value);
  const match = v4 ?? v6;
  const port = match ? Number(match[2]) : 0;
  const hostOk = v4 ? parseIpv4(v4[1]) !== null : v6 ? v6[1].includes(':') && v6[1].length <= 45 : false;
  if (!match || !hostOk || port < 1 || port > 65535) {
    throw badInput(`endpoint "${value}" must be ip:port, e.g. 192.0.2.10:51820 or [2001:db8::1]:51820`, { field: 'endpoint' });
  }
  return value;
}

/** A human name (project, application, host): 1-100 printable characters. */
export function assertHumanName(field: string, value: string, pattern = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,99}$/u): string {
  if (!pattern.test(value)) throw badInput(`${field} "${value}" must be 1-100 letters, digits, spaces, ".", "_" or "-"`, { field });
  return value;
}
