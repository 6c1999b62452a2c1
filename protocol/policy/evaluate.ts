/**
 * The pure policy evaluator, shared by the API (tests on write, `evaluatePolicy`) and the agent's
 * nftables rendering (which destinations are isolated, which rule matches what), so both agree by
 * construction (docs/policies.md). No I/O, no clock.
 */
import type { NetworkPolicy, PolicyEndpoint, PolicyPeer, PolicyProtocol, PolicyRule, PolicyVerdict } from './model.ts';

/** Why a flow gets its verdict: no rule names the destination, rule `ruleIndex` allows it, or nothing does. */
export type PolicyReason = 'OPEN' | 'RULE' | 'DEFAULT_DENY';

export interface PolicyDecision {
  verdict: PolicyVerdict;
  reason: PolicyReason;
  ruleIndex: number | null; // the first allowing rule (reason RULE)
}

/** Whether a peer selector names this endpoint (an app selector names all its process types). */
export function peerMatches(peer: PolicyPeer, e: PolicyEndpoint): boolean {
  return peer.applicationId === e.applicationId && (peer.processType === null || peer.processType === e.processType);
}

/** Named means isolated: true when some rule's `to` names the destination. */
export function isIsolated(rules: readonly PolicyRule[], to: PolicyEndpoint): boolean {
  return rules.some((r) => peerMatches(r.to, to));
}

/** Whether a rule allows `proto` on `port` (ICMP rules match any ICMP; port is ignored there). */
export function ruleCovers(rule: PolicyRule, proto: PolicyProtocol, port: number | null): boolean {
  if (rule.protocol !== proto) return false;
  if (proto === 'ICMP') return true;
  return port !== null && rule.ports.some((r) => r.from <= port && port <= r.to);
}

/**
 * What the rules say about a new flow `from → to:port/proto`, whatever the mode: the mode only says
 * whether the data plane drops (ENFORCE), counts (AUDIT) or ignores (OFF) a DENY.
 */
export function evaluatePolicy(
  policy: Pick<NetworkPolicy, 'rules'>,
  from: PolicyEndpoint,
  to: PolicyEndpoint,
  proto: PolicyProtocol,
  port: number | null,
): PolicyDecision {
  if (!isIsolated(policy.rules, to)) return { verdict: 'ALLOW', reason: 'OPEN', ruleIndex: null };
  const i = policy.rules.findIndex((r) => peerMatches(r.from, from) && peerMatches(r.to, to) && ruleCovers(r, proto, port));
  return i >= 0 ? { verdict: 'ALLOW', reason: 'RULE', ruleIndex: i } : { verdict: 'DENY', reason: 'DEFAULT_DENY', ruleIndex: null };
}
