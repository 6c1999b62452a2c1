/**
 * Table diff: an nftables table is replaced as a whole when its summary (hash, chain rule counts,
 * set element counts) differs from the desired one — except a table with `parts` (the policy
 * table) when the fast pass's baseline knows what the last pass wrote: then only its members
 * (`nft.sets`) or the chains and sets that differ (`nft.patch`) are rewritten. Atomic replacement never leaves a gap, and
 * comparing summaries instead of rule ASTs keeps us independent of nft's JSON rule encoding.
 */
import { patchScript } from '../desired/nft-text';
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
    if (o && sameTable(d, o)) continue;
    const sets = o ? changedSets(d, o) : null;
    // A table patched in place, against a baseline that knows what the last pass wrote: only what differs.
    const script = !sets && o?.parts ? patchScript(d, { parts: o.parts, elements: o.elements }) : null;
    if (sets) ops.push({ kind: 'nft.sets', ns, vni, family: d.family, name: d.name, sets });
    else if (script) ops.push({ kind: 'nft.patch', ns, vni, family: d.family, name: d.name, script });
    else ops.push({ kind: 'nft.replace', ns, vni, table: d });
  }
  for (const o of observed)
    if (!desired.some((d) => d.family === o.family && d.name === o.name)) ops.push({ kind: 'nft.del', ns, vni, family: o.family, name: o.name });
  return ops;
}

/** True when the observed table has the desired hash and the same chains, rule counts and set sizes (and members, where known). */
export function sameTable(d: DesiredTable, o: ObservedTable): boolean {
  return o.hash === d.hash && sameRecord(d.chains, o.chains) && sameRecord(d.sets, o.sets) && (!d.setElements || changedSets(d, o) === null);
}

/**
 * For a table whose sets are updated in place: the sets whose members differ, when the rules are
 * those desired (same hash, chains and set names) and every set's members are known; null otherwise
 * (nothing to change, or replace the table).
 */
function changedSets(d: DesiredTable, o: ObservedTable): Record<string, string[]> | null {
  if (!d.setElements || !o.elements || o.hash !== d.hash || !sameRecord(d.chains, o.chains)) return null;
  if (Object.keys(d.sets).sort().join() !== Object.keys(o.sets).sort().join()) return null;
  const out: Record<string, string[]> = {};
  for (const [set, want] of Object.entries(d.setElements)) {
    const have = o.elements[set];
    if (!have) return null;
    if (have.join() !== want.join()) out[set] = want;
  }
  return Object.keys(out).length ? out : null;
}

function sameRecord(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
