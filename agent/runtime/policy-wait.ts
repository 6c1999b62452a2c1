/**
 * Before an attach answers (docs/policies.md#a-new-container): when the container is a source of
 * some policy rule, wait until every host that runs one of that rule's destinations has applied the
 * container's creation, so its first packet is judged by sets that hold its address. The API knows
 * each host's applied revision (`containerPolicySources`); this only asks, every `pollMs`.
 *
 * Bounded: after `boundMs` the attach answers anyway and says so (a log line naming the hosts still
 * behind, and `weft_agent_policy_source_waits_total{outcome="timeout"}`): a host that is slow or cut
 * off must not stop containers from starting. No question at all when the network's policy is OFF
 * or no rule names the container as a source: then no set anywhere holds it.
 */
import type { ContainerModel, NetworkModel } from '../../protocol/model.ts';
import { peerMatches } from '../../protocol/policy/evaluate.ts';
import type { PolicySources } from '../api/client.ts';

export interface PolicyWaitOptions {
  ask: (containerId: string) => Promise<PolicySources>;
  boundMs: number;
  pollMs?: number; // default 10
  log: (line: string) => void;
  outcome?: (outcome: 'ready' | 'timeout') => void;
}

/** True when some rule of an active policy names the container as a source. */
export function isPolicySource(network: NetworkModel, c: ContainerModel): boolean {
  const p = network.policy;
  return !!p && p.mode !== 'OFF' && p.rules.some((r) => peerMatches(r.from, { applicationId: c.applicationId, processType: c.processType }));
}

/** Waits as the module note says; `none`: there was nothing to wait for. An API that cannot answer counts as not ready. */
export async function awaitPolicySources(opts: PolicyWaitOptions, network: NetworkModel, c: ContainerModel): Promise<'none' | 'ready' | 'timeout'> {
  if (!isPolicySource(network, c)) return 'none';
  const started = Date.now();
  let pending: string[] = [];
  for (;;) {
    const s = await opts.ask(c.id).catch((e: unknown) => ({ ready: false, pendingHosts: [`(API: ${(e as Error).message})`] }));
    if (s.ready) {
      opts.outcome?.('ready');
      return 'ready';
    }
    pending = s.pendingHosts;
    if (Date.now() - started >= opts.boundMs) break;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 10));
  }
  opts.log(
    `agent: attach ${c.id}: policy sets of ${pending.join(', ')} not confirmed to hold it after ${opts.boundMs} ms; answering anyway (its first packets there may be refused)`,
  );
  opts.outcome?.('timeout');
  return 'timeout';
}
