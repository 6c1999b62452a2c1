/**
 * Parser of `nft -j list ruleset` (fixture: test/fixtures/nft-ruleset-sandbox.json).
 *
 * Summarizes each table as chain → rule count, set → element count, plus the `weft:sha=` hash from
 * the rule comment in chain `weft_meta` (see desired/nft-text.ts). The diff replaces a table whose
 * summary differs from the desired one; tables that are not ours are never listed to the diff.
 */
import { z } from 'zod';
import type { ObservedTable } from './types';
import { numericOrder } from '../../protocol/order.ts';

const item = z.object({
  table: z.object({ family: z.string(), name: z.string() }).optional(),
  chain: z.object({ family: z.string(), table: z.string(), name: z.string() }).optional(),
  set: z.object({ family: z.string(), table: z.string(), name: z.string(), elem: z.array(z.unknown()).optional(), timeout: z.number().optional() }).optional(),
  rule: z.object({ family: z.string(), table: z.string(), chain: z.string(), comment: z.string().optional() }).optional(),
});

const byValue = numericOrder;

/** Parses `nft -j list ruleset` into per-table summaries. */
export function parseNftRuleset(json: string): ObservedTable[] {
  const doc = z.object({ nftables: z.array(item) }).parse(JSON.parse(json || '{"nftables":[]}'));
  const tables = new Map<string, ObservedTable>();
  const get = (family: string, name: string) => tables.get(`${family} ${name}`);
  for (const it of doc.nftables) {
    if (it.table) tables.set(`${it.table.family} ${it.table.name}`, { family: it.table.family, name: it.table.name, hash: null, chains: {}, sets: {} });
    const c = it.chain && get(it.chain.family, it.chain.table);
    if (c && it.chain) c.chains[it.chain.name] = 0;
    const s = it.set && get(it.set.family, it.set.table);
    // A set with a timeout is filled by the packet path (the policy's udp_flows): its elements are not ours to compare.
    if (s && it.set) s.sets[it.set.name] = it.set.timeout !== undefined ? 0 : (it.set.elem?.length ?? 0);
    if (s && it.set && it.set.timeout === undefined && (it.set.elem ?? []).every((e) => typeof e === 'string'))
      (s.elements ??= {})[it.set.name] = ((it.set.elem ?? []) as string[]).slice().sort(byValue);
    const r = it.rule && get(it.rule.family, it.rule.table);
    if (r && it.rule) {
      r.chains[it.rule.chain] = (r.chains[it.rule.chain] ?? 0) + 1;
      const m = /^weft:sha=([0-9a-f]+)$/.exec(it.rule.comment ?? '');
      if (m && it.rule.chain === 'weft_meta') r.hash = m[1];
    }
  }
  return [...tables.values()];
}
