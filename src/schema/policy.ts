/**
 * App-to-app policies of a network (docs/policies.md): `network { policy }` with per-rule hits,
 * `setNetworkPolicy` (write role; tests on write), `evaluatePolicy` for frontends, and the counters
 * input of the agents' reports. Thin: the model, checks and evaluator are protocol/policy/*.
 */
import { evaluatePolicy } from '../../protocol/policy/evaluate.ts';
import { POLICY_MODES, POLICY_PROTOCOLS, type NetworkPolicy, type PolicyPeer, type PolicyRule } from '../../protocol/policy/model.ts';
import { getNetwork } from '../db/lookups.ts';
import { badInput } from '../domain/errors.ts';
import { policyApplications, readPolicy } from '../feed/policy.ts';
import { type CounterSum, readPolicyCounters } from '../services/policies/counters.ts';
import { setNetworkPolicy } from '../services/policies/set.ts';
import { loadVisible } from './access.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { lastRevision } from './payloads.ts';
import { NetworkRef } from './refs.ts';

const PolicyModeEnum = builder.enumType('PolicyMode', {
  values: POLICY_MODES,
  description: 'OFF: not applied. AUDIT: evaluated and counted (would-drop), nothing dropped. ENFORCE: denied new flows are dropped.',
});
const PolicyProtocolEnum = builder.enumType('PolicyProtocol', { values: POLICY_PROTOCOLS });
const PolicyVerdictEnum = builder.enumType('PolicyVerdict', { values: ['ALLOW', 'DENY'] as const });
const PolicyReasonEnum = builder.enumType('PolicyReason', {
  values: ['OPEN', 'RULE', 'DEFAULT_DENY'] as const,
  description: 'OPEN: no rule names the destination. RULE: a rule allows the flow. DEFAULT_DENY: the destination is named and no rule allows it.',
});

const PolicyCounterRef = builder.objectRef<CounterSum>('PolicyCounter').implement({
  description: 'Packets and bytes summed over the hosts enforcing the current policy version.',
  fields: (t) => ({ packets: t.exposeFloat('packets'), bytes: t.exposeFloat('bytes') }),
});

type Loaded = NetworkPolicy & { networkId: string; names: Map<string, string>; counters: Map<string, CounterSum> };
const ZERO: CounterSum = { packets: 0, bytes: 0 };

const PolicyPeerRef = builder.objectRef<PolicyPeer & { name: string | null }>('PolicyPeer').implement({
  fields: (t) => ({
    applicationId: t.exposeID('applicationId'),
    applicationName: t.exposeString('name', { nullable: true, description: 'null once the application is deleted.' }),
    processType: t.exposeString('processType', { nullable: true, description: 'null: every process type of the application.' }),
  }),
});

const PortRangeRef = builder.objectRef<{ from: number; to: number }>('PortRange').implement({
  fields: (t) => ({ from: t.exposeInt('from'), to: t.exposeInt('to') }),
});

const PolicyRuleRef = builder.objectRef<PolicyRule & { index: number; policy: Loaded }>('PolicyRule').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    from: t.field({ type: PolicyPeerRef, resolve: (r) => ({ ...r.from, name: r.policy.names.get(r.from.applicationId) ?? null }) }),
    to: t.field({ type: PolicyPeerRef, resolve: (r) => ({ ...r.to, name: r.policy.names.get(r.to.applicationId) ?? null }) }),
    protocol: t.field({ type: PolicyProtocolEnum, resolve: (r) => r.protocol }),
    ports: t.field({ type: [PortRangeRef], resolve: (r) => r.ports }),
    hits: t.field({
      type: PolicyCounterRef,
      description: 'New flows this rule allowed (TCP SYNs, UDP datagrams, ICMP requests), on the destinations’ hosts.',
      resolve: (r) => r.policy.counters.get(`rule-${r.index}`) ?? ZERO,
    }),
  }),
});

const PolicyTestRef = builder.objectRef<{ from: string; to: string; expect: 'ALLOW' | 'DENY' }>('PolicyTest').implement({
  fields: (t) => ({ from: t.exposeString('from'), to: t.exposeString('to'), expect: t.field({ type: PolicyVerdictEnum, resolve: (x) => x.expect }) }),
});

const NetworkPolicyRef = builder.objectRef<Loaded>('NetworkPolicy').implement({
  description: 'App-to-app rules of a network: a destination no rule names stays open; a named one accepts only what rules allow.',
  fields: (t) => ({
    mode: t.field({ type: PolicyModeEnum, resolve: (p) => p.mode }),
    version: t.exposeInt('version', { description: 'Counts the writes; 0: never set.' }),
    rules: t.field({ type: [PolicyRuleRef], resolve: (p) => p.rules.map((r, index) => ({ ...r, index, policy: p })) }),
    tests: t.field({ type: [PolicyTestRef], resolve: (p) => p.tests }),
    defaultDeny: t.field({ type: PolicyCounterRef, description: 'New flows dropped (ENFORCE).', resolve: (p) => p.counters.get('default-deny') ?? ZERO }),
    wouldDrop: t.field({
      type: PolicyCounterRef,
      description: 'New flows that ENFORCE would drop, let through (AUDIT).',
      resolve: (p) => p.counters.get('would-drop') ?? ZERO,
    }),
  }),
});

async function loadPolicy(ctx: GraphQLContext, networkId: string): Promise<Loaded> {
  const db = ctx.services.db.read;
  const policy = await readPolicy(db, networkId);
  const apps = await policyApplications(db, networkId);
  return { ...policy, networkId, names: new Map(apps.map((a) => [a.id, a.name])), counters: await readPolicyCounters(db, networkId, policy.version) };
}

builder.objectField(NetworkRef, 'policy', (t) => t.field({ type: NetworkPolicyRef, resolve: (n, _a, ctx) => loadPolicy(ctx, n.id) }));

const PolicyPeerInput = builder.inputType('PolicyPeerInput', {
  fields: (t) => ({
    application: t.string({ required: true, description: 'Application name or id.' }),
    processType: t.string({ description: 'Omitted: every process type of the application.' }),
  }),
});
const PortRangeInput = builder.inputType('PortRangeInput', {
  fields: (t) => ({ from: t.int({ required: true }), to: t.int({ description: 'Omitted: the single port `from`.' }) }),
});
const PolicyRuleInput = builder.inputType('PolicyRuleInput', {
  fields: (t) => ({
    from: t.field({ type: PolicyPeerInput, required: true }),
    to: t.field({ type: PolicyPeerInput, required: true }),
    protocol: t.field({ type: PolicyProtocolEnum, required: true }),
    ports: t.field({ type: [PortRangeInput], description: 'Required for TCP and UDP, absent for ICMP.' }),
  }),
});
const PolicyTestInput = builder.inputType('PolicyTestInput', {
  fields: (t) => ({
    from: t.string({ required: true, description: '"<app>[/<type>]"; without a type, every type of the app must meet the expectation.' }),
    to: t.string({ required: true, description: '"<app>[/<type>]:<port>/<tcp|udp>" or "<app>[/<type>]:icmp".' }),
    expect: t.field({ type: PolicyVerdictEnum, required: true }),
  }),
});
const SetNetworkPolicyInput = builder.inputType('SetNetworkPolicyInput', {
  fields: (t) => ({
    networkId: t.id({ required: true }),
    mode: t.field({ type: PolicyModeEnum, required: true }),
    rules: t.field({ type: [PolicyRuleInput], required: true }),
    tests: t.field({ type: [PolicyTestInput] }),
  }),
});

const SetNetworkPolicyPayload = builder.objectRef<{ networkId: string; revision: number | null }>('SetNetworkPolicyPayload').implement({
  fields: (t) => ({
    revision: t.exposeInt('revision', { nullable: true, description: 'Revision of the network.policy_set change (null when nothing changed).' }),
    policy: t.field({ type: NetworkPolicyRef, resolve: (p, _a, ctx) => loadPolicy(ctx, p.networkId) }),
  }),
});

builder.mutationFields((t) => ({
  setNetworkPolicy: t.field({
    type: SetNetworkPolicyPayload,
    description:
      'Replace the network’s policy (rules, tests, mode). Its tests run first: a failing one is POLICY_TEST_FAILED (extensions.failures) and nothing changes.',
    args: { input: t.arg({ type: SetNetworkPolicyInput, required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { input }, ctx) => {
      const network = await loadVisible(ctx, 'network', String(input.networkId), getNetwork, (n) => n.projectId, 'write');
      const { changes } = await setNetworkPolicy(ctx.services, {
        networkId: network.id,
        mode: input.mode,
        rules: input.rules.map((r) => ({ ...r, ports: r.ports ?? null })),
        tests: input.tests ?? [],
      });
      return { networkId: network.id, revision: lastRevision(changes) };
    },
  }),
}));

const PolicyDecisionRef = builder
  .objectRef<{ verdict: 'ALLOW' | 'DENY'; reason: 'OPEN' | 'RULE' | 'DEFAULT_DENY'; ruleIndex: number | null; mode: NetworkPolicy['mode'] }>('PolicyDecision')
  .implement({
    fields: (t) => ({
      verdict: t.field({ type: PolicyVerdictEnum, resolve: (d) => d.verdict }),
      reason: t.field({ type: PolicyReasonEnum, resolve: (d) => d.reason }),
      ruleIndex: t.exposeInt('ruleIndex', { nullable: true }),
      mode: t.field({
        type: PolicyModeEnum,
        description: 'Whether the data plane applies the verdict (ENFORCE) or only counts it (AUDIT).',
        resolve: (d) => d.mode,
      }),
    }),
  });

builder.queryFields((t) => ({
  evaluatePolicy: t.field({
    type: PolicyDecisionRef,
    description: 'What the network’s rules say about a new flow; "<app>[/<type>]", a missing type is the app’s default process type.',
    args: {
      networkId: t.arg.id({ required: true }),
      from: t.arg.string({ required: true }),
      to: t.arg.string({ required: true }),
      port: t.arg.int({ description: 'Required for TCP and UDP.' }),
      protocol: t.arg({ type: PolicyProtocolEnum, required: true }),
    },
    authScopes: { authenticated: true },
    resolve: async (_r, args, ctx) => {
      const network = await loadVisible(ctx, 'network', String(args.networkId), getNetwork, (n) => n.projectId);
      const db = ctx.services.db.read;
      const apps = await policyApplications(db, network.id);
      const policy = await readPolicy(db, network.id);
      const endpoint = (field: string, text: string) => {
        const [name, type, extra] = text.split('/');
        const app = apps.find((a) => a.id === name) ?? apps.find((a) => a.name === name);
        if (!app || extra !== undefined) throw badInput(`${field}: unknown application "${name}"`, { field });
        const processType = type ?? app.processTypes.find((p) => p === 'web') ?? app.processTypes[0];
        if (!app.processTypes.includes(processType)) throw badInput(`${field}: application "${app.name}" has no process type "${processType}"`, { field });
        return { applicationId: app.id, processType };
      };
      const from = endpoint('from', args.from);
      const to = endpoint('to', args.to);
      const port = args.port ?? null;
      if (args.protocol !== 'ICMP' && (port === null || !Number.isInteger(port) || port < 1 || port > 65535))
        throw badInput(`port must be 1–65535 for ${args.protocol}`, { field: 'port' });
      return { ...evaluatePolicy(policy, from, to, args.protocol, args.protocol === 'ICMP' ? null : port), mode: policy.mode };
    },
  }),
}));

/** Agents' counters per network, in reportHostStatus (docs/policies.md#counters). */
export const PolicyCountersInput = builder.inputType('PolicyCountersInput', {
  fields: (t) => ({
    networkId: t.id({ required: true }),
    version: t.int({ required: true }),
    counters: t.field({
      type: [
        builder.inputType('PolicyCounterInput', {
          fields: (f) => ({ counter: f.string({ required: true }), packets: f.float({ required: true }), bytes: f.float({ required: true }) }),
        }),
      ],
      required: true,
    }),
  }),
});
