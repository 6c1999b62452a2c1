/**
 * Validation of what the DNS verbs accept (issue 19): declared ports, alias names and the TTL.
 * Pure; each check throws BAD_USER_INPUT with the field it concerns, before anything is written.
 */
import type { PortProtocol } from '../../../protocol/model.ts';
import { badInput } from '../../domain/errors.ts';
import { assertLabel } from '../../domain/names.ts';

export interface PortInput {
  name: string;
  port: number;
  protocol: string;
}

export interface DeclaredPort {
  name: string;
  port: number;
  protocol: PortProtocol;
}

const MAX_PORTS = 32;

/** Checks a process type's whole port list: labels, 1–65535, TCP or UDP, each name once per protocol. */
export function validatePorts(field: string, ports: readonly PortInput[]): DeclaredPort[] {
  if (ports.length > MAX_PORTS) throw badInput(`at most ${MAX_PORTS} ports per process type`, { field });
  const seen = new Set<string>();
  return ports
    .map((p, i) => {
      const name = assertLabel(`${field}[${i}].name`, p.name);
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
        throw badInput(`${field}[${i}].port must be an integer between 1 and 65535, got ${p.port}`, { field: `${field}[${i}].port` });
      const protocol = p.protocol.toUpperCase();
      if (protocol !== 'TCP' && protocol !== 'UDP')
        throw badInput(`${field}[${i}].protocol must be TCP or UDP, got "${p.protocol}"`, { field: `${field}[${i}].protocol` });
      const key = `${name}/${protocol}`;
      if (seen.has(key)) throw badInput(`${field}: the port name "${name}" is declared twice for ${protocol}`, { field: `${field}[${i}].name` });
      seen.add(key);
      return { name, port: p.port, protocol: protocol as PortProtocol };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.protocol.localeCompare(b.protocol));
}

// Prefixes of Weft's ids (an alias must never read as an app or a network) and labels the zone or
// its readers treat specially.
const RESERVED_PREFIXES = ['ap-', 'pn-', 'prj-', 'ctr-', 'host-'];
const RESERVED_LABELS = new Set(['ns', 'hostmaster', 'private-network', 'internal', 'in-addr', 'arpa', 'localhost']);

/** Checks an alias name: a DNS label that is no id and no reserved label. */
export function validateAliasName(field: string, name: string): string {
  const label = assertLabel(field, name);
  if (RESERVED_PREFIXES.some((p) => label.startsWith(p)) || RESERVED_LABELS.has(label)) {
    throw badInput(
      `${field} "${name}" is reserved: an alias may not start with ${RESERVED_PREFIXES.join(', ')} or be one of ${[...RESERVED_LABELS].join(', ')}`,
      {
        field,
      },
    );
  }
  return label;
}

/** Checks a DNS TTL in seconds (the same bounds as createProject). */
export function validateDnsTtl(ttl: number): number {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 86400) throw badInput('dnsTtl must be an integer between 0 and 86400 seconds', { field: 'dnsTtl' });
  return ttl;
}
