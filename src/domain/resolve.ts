/**
 * What the host DNS answers for a name inside one network (docs/architecture.md §3.2). It asks the same zone and
 * the same `answer()` as the agent's DNS server (protocol/dns), so the API's `resolve` query and the
 * server cannot disagree: a name exists exactly when the zone has it; existing names without
 * records of the asked type are NODATA; everything else under the zone — including every name of
 * another network — is NXDOMAIN. Reverse names (`…in-addr.arpa`, `…ip6.arpa`) are answered the same
 * way: PTR in the network's CIDR and /64, NXDOMAIN elsewhere in RFC 1918 and fc00::/7
 * (protocol/dns/reverse.ts, reverse6.ts). Names outside the zone, and reverse names outside those
 * blocks, are REFUSED here (the host DNS forwards them upstream).
 */
import { answer } from '../../protocol/dns/answer.ts';
import { formatRdata, type ZoneRecordType } from '../../protocol/dns/records.ts';
import { buildZone, canonicalName } from '../../protocol/dns/zone.ts';
import type { NetworkModel } from '../../protocol/model.ts';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED';

export interface ResolveAnswer {
  rcode: Rcode;
  records: { name: string; type: ZoneRecordType; ttl: number; data: string }[];
}

/** Resolves `name` (any case, with or without the trailing dot) for record type `type` in `network`. */
export function resolveName(network: NetworkModel, name: string, type: string): ResolveAnswer {
  const zone = buildZone(network);
  const found = answer({ name, type }, zone);
  switch (found.kind) {
    case 'outside':
      return { rcode: 'REFUSED', records: [] };
    case 'nxdomain':
      return { rcode: 'NXDOMAIN', records: [] };
    case 'soa':
      return { rcode: 'NOERROR', records: [] }; // the SOA is zone metadata, not a listed record
    case 'records': {
      const owner = canonicalName(name);
      return { rcode: 'NOERROR', records: found.records.map((r) => ({ name: owner, type: r.type, ttl: zone.ttl, data: formatRdata(r) })) };
    }
  }
}
