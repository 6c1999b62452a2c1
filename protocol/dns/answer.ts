/**
 * What one network's zone says about one question: the single place that picks records by question
 * type (CoreDNS-style). The agent's DNS server wraps the result in a DNS message
 * (agent/dns/answer.ts) and the API's `resolve` query returns it (src/domain/resolve.ts), so the
 * two cannot disagree. Pure and runtime-neutral; message-level rules (opcodes, EDNS, classes, a
 * network that has left) belong to the server.
 */
import type { ZoneRecord } from './records.ts';
import { overlaps, parseReverse, weftReverseZoneOf } from './reverse.ts';
import { overlaps6, parseReverse6, weftReverseZone6Of } from './reverse6.ts';
import { canonicalName, inZone, ZONE_APEX, type Zone } from './zone.ts';

/** A name in any case, with or without the trailing dot, and a type such as 'A', 'AAAA' or 'ANY'. */
export interface ZoneQuestion {
  name: string;
  type: string;
}

export type ZoneAnswer =
  | { kind: 'outside' } // neither under the apex nor a reverse name in Weft's CIDRs: forwarded by the DNS server, refused by the API
  | { kind: 'nxdomain'; apex: string } // nothing here or below (RFC 8020), another network's names included
  | { kind: 'soa' } // the apex's SOA, which lives in zone.soa rather than among the records
  | { kind: 'records'; records: readonly ZoneRecord[]; apex: string }; // NOERROR; no records is NODATA

/**
 * `apex` is the owner of the SOA a negative answer carries: `private-network.internal` for forward
 * names, the network's reverse zone (`240.10.in-addr.arpa`) for its PTR names, and the locally
 * served RFC 1918 zone (RFC 6303) for reverse names outside the network's CIDR.
 */

/** Answers `question` from `zone`. */
export function answer(question: ZoneQuestion, zone: Zone): ZoneAnswer {
  const name = canonicalName(question.name);
  const apex = authorityOf(name, zone);
  if (!apex) return { kind: 'outside' };
  let records = zone.names.get(name);
  if (!records && apex !== ZONE_APEX && isNetworkNonTerminal(name, zone)) records = [];
  if (!records) return { kind: 'nxdomain', apex };
  const type = question.type.toUpperCase();
  switch (type) {
    case 'ANY':
      return { kind: 'records', records, apex };
    case 'SOA':
      return name === apex ? { kind: 'soa' } : { kind: 'records', records: [], apex };
    default:
      return { kind: 'records', records: records.filter((r) => r.type === type), apex };
  }
}

/** Reverse names: a prefix of the network's CIDR (fewer than 4 octets) or of its /64 (fewer than 32 nibbles) is an empty non-terminal. */
function isNetworkNonTerminal(name: string, zone: Zone): boolean {
  const v4 = parseReverse(name);
  if (v4) return v4.prefix < 32 && zone.cidr !== null && overlaps(v4, zone.cidr);
  const v6 = parseReverse6(name);
  return v6 !== null && v6.prefix < 128 && zone.cidr6 !== null && overlaps6(v6, zone.cidr6);
}

/**
 * The zone that answers `name` (canonical) for this network, or null when Weft does not answer it:
 * the apex for names under it; for reverse names, the network's reverse zone when the name is
 * inside its CIDR (or its /64), else the RFC 1918 (or unique-local) zone holding it (NXDOMAIN:
 * another network's or nobody's).
 */
export function authorityOf(name: string, zone: Zone): string | null {
  if (inZone(name)) return ZONE_APEX;
  const prefix = parseReverse(name);
  if (prefix) {
    if (zone.cidr && zone.reverseApex && overlaps(prefix, zone.cidr) && isAtOrBelow(name, zone.reverseApex)) return zone.reverseApex;
    return weftReverseZoneOf(prefix);
  }
  const prefix6 = parseReverse6(name);
  if (!prefix6) return null;
  // The /64's reverse zone is exactly its 16 nibbles, so a name at or below it is inside the /64.
  if (zone.reverseApex6 && isAtOrBelow(name, zone.reverseApex6)) return zone.reverseApex6;
  return weftReverseZone6Of(prefix6);
}

/** True when `name` is a reverse name Weft answers (in RFC 1918 or unique-local space), whatever the network. */
export function isWeftReverse(name: string): boolean {
  const v4 = parseReverse(name);
  if (v4) return weftReverseZoneOf(v4) !== null;
  const v6 = parseReverse6(name);
  return v6 !== null && weftReverseZone6Of(v6) !== null;
}

function isAtOrBelow(name: string, apex: string): boolean {
  return name === apex || name.endsWith(`.${apex}`);
}
