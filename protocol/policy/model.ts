/**
 * The app-to-app policy of one network (docs/policies.md): the wire shape the API stores, sends to
 * agents in the host model and change feed, and evaluates. Runtime-neutral: zod only.
 *
 * Semantics ("named means isolated", as Kubernetes' "selected means isolated"): a destination no
 * rule names stays open to the whole network. Once a rule's `to` names a destination (an
 * application, or one process type of it), that destination accepts only what some rule allows.
 */
import { z } from 'zod';

export const POLICY_MODES = ['OFF', 'AUDIT', 'ENFORCE'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

export const POLICY_PROTOCOLS = ['TCP', 'UDP', 'ICMP'] as const;
export type PolicyProtocol = (typeof POLICY_PROTOCOLS)[number];

export type PolicyVerdict = 'ALLOW' | 'DENY';

/** The documented limits of one policy (docs/policies.md#limits). */
export const POLICY_LIMITS = { rules: 256, tests: 256, rangesPerRule: 16 } as const;

/** An application, or one process type of it. */
export const policyPeerSchema = z.object({ applicationId: z.string(), processType: z.string().nullable() });
export type PolicyPeer = z.infer<typeof policyPeerSchema>;

/** Inclusive port range, 1 ≤ from ≤ to ≤ 65535. */
export const portRangeSchema = z.object({ from: z.number().int(), to: z.number().int() });
export type PortRange = z.infer<typeof portRangeSchema>;

/** `from → to` on `ports` of `protocol`: allow. ICMP rules have no ports. */
export const policyRuleSchema = z.object({
  from: policyPeerSchema,
  to: policyPeerSchema,
  protocol: z.enum(POLICY_PROTOCOLS),
  ports: z.array(portRangeSchema),
});
export type PolicyRule = z.infer<typeof policyRuleSchema>;

/** A stated expectation, as written: `from: "<app>[/<type>]"`, `to: "<app>[/<type>]:<port>/<proto>"` (ICMP: `…:icmp`). */
export const policyTestSchema = z.object({ from: z.string(), to: z.string(), expect: z.enum(['ALLOW', 'DENY']) });
export type PolicyTest = z.infer<typeof policyTestSchema>;

/** A network's policy; `version` counts its writes (0: never set, mode OFF); counters are reported per version. */
export const networkPolicySchema = z.object({
  mode: z.enum(POLICY_MODES),
  rules: z.array(policyRuleSchema),
  tests: z.array(policyTestSchema),
  version: z.number().int(),
});
export type NetworkPolicy = z.infer<typeof networkPolicySchema>;

/** The policy of a network nobody has set one for: OFF, no rule. */
export const NO_POLICY: NetworkPolicy = { mode: 'OFF', rules: [], tests: [], version: 0 };

/** One end of a flow: a container of `applicationId` running `processType`. */
export interface PolicyEndpoint {
  applicationId: string;
  processType: string;
}
