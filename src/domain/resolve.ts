/**
 * What the host DNS answers for a name inside one network (DESIGN §3). It is the agent's own zone
 * index (agent/dns/zone.ts, pure and runtime-neutral), so the API's `resolve` query and the DNS
 * server cannot disagree: a name exists exactly when the zone has it; existing names without A
 * records are NODATA; everything else under the zone — including every name of another network —
 * is NXDOMAIN. Names outside the zone are REFUSED here (the host DNS forwards them upstream).
 */
import { buildZone, inZone } from '../../agent/dns/zone.ts';
import type { NetworkModel } from '../../protocol/model.ts';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED';

export interface ResolveAnswer {
  rcode: Rcode;
  records: { name: string; type: 'A'; ttl: number; data: string }[];
}

/** Resolves `name` (any case, with or without the trailing dot) for record type `type` in `network`. */
export function resolveName(network: NetworkModel, name: string, type: string): ResolveAnswer {
  const fqdn = name.toLowerCase().replace(/\.$/, '');
  if (!inZone(fqdn)) return { rcode: 'REFUSED', records: [] };
  const zone = buildZone(network);
  const addresses = zone.names.get(fqdn);
  if (!addresses) return { rcode: 'NXDOMAIN', records: [] };
  const wantsA = ['A', 'ANY'].includes(type.toUpperCase());
  return { rcode: 'NOERROR', records: wantsA ? addresses.map((data) => ({ name: fqdn, type: 'A' as const, ttl: zone.ttl, data })) : [] };
}
