/**
 * The records a zone can hold, typed end to end: the zone stores them, `answer()` selects them by
 * question type, the agent encodes them and the API lists them. Adding a type touches the producer
 * (zone.ts), not the model.
 * Pure and runtime-neutral.
 */

export type ZoneRecord =
  | { type: 'A'; address: string } // dotted quad
  | { type: 'AAAA'; address: string } // RFC 5952 text
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string } // RFC 2782
  | { type: 'TXT'; data: string[] } // one or more character-strings of ≤ 255 bytes each
  | { type: 'PTR'; target: string };

export type ZoneRecordType = ZoneRecord['type'];

/** The record's data in zone-file (presentation) form: what `resolve` returns and tests compare. */
export function formatRdata(record: ZoneRecord): string {
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return record.address;
    case 'SRV':
      return `${record.priority} ${record.weight} ${record.port} ${absolute(record.target)}`;
    case 'TXT':
      return record.data.map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`).join(' ');
    case 'PTR':
      return absolute(record.target);
  }
}

function absolute(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}
