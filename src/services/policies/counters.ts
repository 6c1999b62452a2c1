/**
 * Policy counters (docs/policies.md#counters): each agent reports, per network, the nftables
 * counters of its policy table — `rule-<i>` (new flows rule i allowed), `default-deny` (dropped in
 * ENFORCE) and `would-drop` (counted, not dropped, in AUDIT) — with the policy version its kernel
 * holds. The API keeps the last report per (host, network, counter) and sums the hosts that
 * enforce the current version. Counters restart when a host rewrites its policy table.
 */
import { and, eq } from 'drizzle-orm';
import type { Reader, Tx } from '../../db/client.ts';
import { policyCounters } from '../../db/schema/index.ts';
import { badInput } from '../../domain/errors.ts';
import { POLICY_COUNTER, type PolicyCounterReport } from '../../../protocol/policy/counters.ts';

/** Refuses (BAD_USER_INPUT) a report whose counters are not the agent's: an unknown name, a negative count. */
export function checkPolicyCounters(reports: PolicyCounterReport[]): void {
  for (const r of reports) {
    for (const c of r.counters)
      if (!POLICY_COUNTER.test(c.counter) || !(c.packets >= 0) || !(c.bytes >= 0))
        throw badInput(`bad policy counter ${JSON.stringify(c)}`, { field: 'policyCounters' });
  }
}

/**
 * Replaces this host's counters with the report: those of each reported network (only networks it
 * is a member of), and none for the networks it no longer reports (its policy went OFF, or the host
 * left the network). The caller has checked them (`checkPolicyCounters`) before its write.
 */
export async function storePolicyCounters(tx: Tx, hostId: string, reports: PolicyCounterReport[], member: Set<string>, now: number): Promise<void> {
  await tx.delete(policyCounters).where(eq(policyCounters.hostId, hostId));
  for (const r of reports.filter((x) => member.has(x.networkId))) {
    if (r.counters.length)
      await tx.insert(policyCounters).values(r.counters.map((c) => ({ hostId, networkId: r.networkId, version: r.version, ...c, reportedAt: now })));
  }
}

export interface CounterSum {
  packets: number;
  bytes: number;
}

/** Sums of each counter over the hosts that reported policy `version` of the network. */
export async function readPolicyCounters(db: Reader, networkId: string, version: number): Promise<Map<string, CounterSum>> {
  const rows = await db
    .select()
    .from(policyCounters)
    .where(and(eq(policyCounters.networkId, networkId), eq(policyCounters.version, version)));
  const out = new Map<string, CounterSum>();
  for (const r of rows) {
    const s = out.get(r.counter) ?? { packets: 0, bytes: 0 };
    out.set(r.counter, { packets: s.packets + r.packets, bytes: s.bytes + r.bytes });
  }
  return out;
}
