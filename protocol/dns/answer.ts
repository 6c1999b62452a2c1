/**
 * What one network's zone says about one question: the single place that picks records by question
 * type (CoreDNS-style). The agent's DNS server wraps the result in a DNS message
 * (agent/dns/answer.ts) and the API's `resolve` query returns it (src/domain/resolve.ts), so the
 * two cannot disagree. Pure and runtime-neutral; message-level rules (opcodes, EDNS, classes, a
 * network that has left) belong to the server.
 */
import type { ZoneRecord } from './records.ts';
import { canonicalName, inZone, ZONE_APEX, type Zone } from './zone.ts';

/** A name in any case, with or without the trailing dot, and a type such as 'A', 'AAAA' or 'ANY'. */
export interface ZoneQuestion {
  name: string;
  type: string;
}

export type ZoneAnswer =
  | { kind: 'outside' } // not under the apex: the DNS server forwards it, the API refuses it
  | { kind: 'nxdomain' } // nothing here or below (RFC 8020), another network's names included
  | { kind: 'soa' } // the apex's SOA, which lives in zone.soa rather than among the records
  | { kind: 'records'; records: readonly ZoneRecord[] }; // NOERROR; no records is NODATA

/** Answers `question` from `zone`. */
export function answer(question: ZoneQuestion, zone: Zone): ZoneAnswer {
  const name = canonicalName(question.name);
  if (!inZone(name)) return { kind: 'outside' };
  const records = zone.names.get(name);
  if (!records) return { kind: 'nxdomain' };
  const type = question.type.toUpperCase();
  switch (type) {
    case 'ANY':
      return { kind: 'records', records };
    case 'SOA':
      return name === ZONE_APEX ? { kind: 'soa' } : { kind: 'records', records: [] };
    default:
      return { kind: 'records', records: records.filter((r) => r.type === type) };
  }
}
