/**
 * The policy counters the agent reports to the API (docs/policies.md#counters): for each network of
 * the model whose policy is not OFF, the `rule-<i>`, `default-deny` and `would-drop` counters of
 * the sandbox's policy table, with the policy version the model holds. Reads only (`nft -j list
 * table`), through the one runner. Also says, for the log, how many new flows AUDIT let through
 * since the previous read (`wouldDropSince`), so would-be drops are logged, not only counted.
 */
import type { HostConfig } from '../../protocol/model.ts';
import type { Names } from '../config-names.ts';
import type { CommandRunner } from '../exec/runner.ts';
import { POLICY_COUNTER, type PolicyCounterReport } from '../../protocol/policy/counters.ts';
import { parseNftCounters } from './kernel-counters.ts';

/** Reads the policy counters of every network with a policy; a sandbox that cannot be read is left out. */
export async function readPolicyCounters(runner: CommandRunner, names: Names, model: HostConfig | null): Promise<PolicyCounterReport[]> {
  if (!model) return [];
  const withPolicy = model.networks.filter((n) => n.policy && n.policy.mode !== 'OFF' && n.policy.rules.length);
  const reports = await Promise.all(
    withPolicy.map(async (n): Promise<PolicyCounterReport | null> => {
      const argv = ['ip', 'netns', 'exec', names.sandboxNs(n.vni), 'nft', '-j', 'list', 'table', 'bridge', names.policyTable];
      const json = await runner.run(argv).then(
        (r) => r.stdout,
        () => null,
      );
      if (json === null) return null;
      const counters = parseNftCounters(json, [names.policyTable])
        .filter((c) => POLICY_COUNTER.test(c.rule))
        .map((c) => ({ counter: c.rule, packets: c.packets, bytes: c.bytes }));
      return { networkId: n.id, version: n.policy!.version, counters };
    }),
  );
  return reports.filter((r) => r !== null);
}

/** Per network, how much `would-drop` rose since `previous` (a lower value: the table was rewritten, count from 0). */
export function wouldDropSince(previous: Map<string, number>, reports: PolicyCounterReport[]): { networkId: string; flows: number }[] {
  const out: { networkId: string; flows: number }[] = [];
  for (const r of reports) {
    const now = r.counters.find((c) => c.counter === 'would-drop')?.packets;
    if (now === undefined) continue;
    const before = previous.get(r.networkId) ?? 0;
    previous.set(r.networkId, now);
    const rose = now >= before ? now - before : now;
    if (rose > 0) out.push({ networkId: r.networkId, flows: rose });
  }
  return out;
}
