/**
 * Parsers of the kernel counters the agent exports (agent/metrics/registry.ts): nftables rule
 * counters from `nft -j list ruleset` and link statistics from `ip -j -s link show`.
 *
 * Owns: turning captured tool output into numbers (fixtures: test/fixtures/nft-ruleset-sandbox.json,
 * test/fixtures/ip-link-stats-sandbox.json). Never: runs a command or changes the kernel.
 * A rule is named by its comment (agent/desired/nft-text.ts gives every counted rule one:
 * `ip-spoof`, `dropped-to-gateway`, `vxlan-not-via-wg`, …); the `weft:sha=` comment of
 * `weft_meta` is the table's hash, not a rule, and is skipped.
 */
import { z } from 'zod';

export interface RuleCounter {
  family: string;
  table: string;
  chain: string;
  rule: string;
  packets: number;
  bytes: number;
}

const ruleItem = z.object({
  rule: z
    .object({
      family: z.string(),
      table: z.string(),
      chain: z.string(),
      comment: z.string().optional(),
      expr: z.array(z.record(z.string(), z.unknown())).optional(),
    })
    .optional(),
});
const counter = z.object({ packets: z.number(), bytes: z.number() });

/** The counted, commented rules of the listed tables (all tables when `tables` is empty). */
export function parseNftCounters(json: string, tables: readonly string[] = []): RuleCounter[] {
  const doc = z.object({ nftables: z.array(ruleItem) }).parse(JSON.parse(json || '{"nftables":[]}'));
  const out: RuleCounter[] = [];
  for (const { rule } of doc.nftables) {
    if (!rule?.comment || rule.comment.startsWith('weft:')) continue;
    if (tables.length && !tables.includes(rule.table)) continue;
    const c = rule.expr?.map((e) => counter.safeParse(e.counter)).find((r) => r.success)?.data;
    if (c) out.push({ family: rule.family, table: rule.table, chain: rule.chain, rule: rule.comment, packets: c.packets, bytes: c.bytes });
  }
  return out;
}

export interface LinkStats {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

const direction = z.object({ bytes: z.number(), packets: z.number() });
const link = z.object({ ifname: z.string(), stats64: z.object({ rx: direction, tx: direction }).optional() });

/** Link statistics by interface name (links without `stats64` are left out). */
export function parseLinkStats(json: string): Map<string, LinkStats> {
  const out = new Map<string, LinkStats>();
  for (const l of z.array(link).parse(JSON.parse(json || '[]'))) {
    if (!l.stats64) continue;
    out.set(l.ifname, { rxBytes: l.stats64.rx.bytes, rxPackets: l.stats64.rx.packets, txBytes: l.stats64.tx.bytes, txPackets: l.stats64.tx.packets });
  }
  return out;
}
