/**
 * Table diff: an nftables table is replaced as a whole when its summary (hash, chain rule counts,
 * set element counts) differs from the desired one. Atomic replacement never leaves a gap, and
 * comparing summaries instead of rule ASTs keeps us independent of nft's JSON rule encoding.
 */
import type { DesiredTable } from '../desired/types';
import type { ObservedTable } from '../observed/types';
import type { Op } from './ops';

/**
 * Ops that make the tables in one namespace match `desired`. `observed` lists only our tables (observe.ts
 * filters by name), so one of them that is no longer desired (a policy switched OFF) is deleted.
 */
export function diffTables(ns: string | null, vni: number | null, desired: DesiredTable[], observed: ObservedTable[]): Op[] {
  const ops: Op[] = [];
  for (const d of desired) {
    const o = observed.find((t) => t.family === d.family && t.name === d.name);
    if (!o || !sameTable(d, o)) ops.push({ kind: 'nft.replace', ns, vni, table: d });
  }
  for (const o of observed)
    if (!desired.some((d) => d.family === o.family && d.name === o.name)) ops.push({ kind: 'nft.del', ns, vni, family: o.family, name: o.name });
  return ops;
}

/** True when the observed table has the desired hash and the same chains, rule counts and set sizes. */
export function sameTable(d: DesiredTable, o: ObservedTable): boolean {
  return o.hash === d.hash && sameRecord(d.chains, o.chains) && sameRecord(d.sets, o.sets);
}

function sameRecord(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
