/**
 * The policy counters an agent reports with its heartbeat (`reportHostStatus.policyCounters`,
 * docs/policies.md#counters): per network, the counters of its policy table with the policy version
 * its kernel holds. The agent reads them (agent/metrics/policy-counters.ts); the API checks and
 * stores them (src/services/policies/counters.ts). Runtime-neutral.
 */

export interface PolicyCounterReport {
  networkId: string;
  version: number;
  counters: { counter: string; packets: number; bytes: number }[];
}

/** The counters' names: `rule-<i>` (new flows rule i allowed), `default-deny` (ENFORCE), `would-drop` (AUDIT). */
export const POLICY_COUNTER = /^(rule-\d{1,3}|default-deny|would-drop)$/;
