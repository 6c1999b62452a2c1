/**
 * Resource records as zone-file text, one per line.
 *
 * Owns: the presentation form used by the DNS tables (CoreDNS test.Case style) and by debug logs.
 * Formatting only; it never decides anything.
 */
import type { Answer } from 'dns-packet';
import { formatRdata, type ZoneRecord } from '../../protocol/dns/records.ts';

/** Formats one record as `name. ttl IN TYPE rdata`; OPT pseudo-records are skipped by the caller. */
export function formatRecord(rr: Answer): string {
  const owner = rr.name.endsWith('.') ? rr.name : `${rr.name}.`;
  if (rr.type === 'OPT') return `; OPT udp=${rr.udpPayloadSize} version=${rr.ednsVersion} do=${rr.flag_do ? 1 : 0}`;
  const ttl = 'ttl' in rr ? (rr.ttl ?? 0) : 0;
  let rdata: string;
  if (rr.type === 'SOA') {
    const d = rr.data;
    rdata = `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
  } else {
    const record = zoneRecordOf(rr);
    rdata = record ? formatRdata(record) : String(rr.data);
  }
  return `${owner} ${ttl} IN ${rr.type} ${rdata}`;
}

/** The zone record an answer carries (as built or as decoded by dns-packet), or null for other types. */
function zoneRecordOf(rr: Answer): ZoneRecord | null {
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return { type: rr.type, address: rr.data };
    case 'SRV':
      return { type: 'SRV', priority: rr.data.priority ?? 0, weight: rr.data.weight ?? 0, port: rr.data.port, target: rr.data.target };
    case 'TXT':
      return { type: 'TXT', data: (Array.isArray(rr.data) ? rr.data : [rr.data]).map(String) };
    case 'PTR':
      return { type: 'PTR', target: rr.data };
    default:
      return null;
  }
}

/** Formats a section, dropping OPT pseudo-records (they are tested on their own). */
export function formatSection(records: readonly Answer[] | undefined): string[] {
  return (records ?? []).filter((r) => r.type !== 'OPT').map(formatRecord);
}

/** Splits a table cell of zone-file text into trimmed non-empty lines. */
export function zoneLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l.length && !l.startsWith('#'));
}

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}
