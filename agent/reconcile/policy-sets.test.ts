import { describe, expect, it } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import type { NetworkPolicy } from '../../protocol/policy/model.ts';
import { container, hostConfig, network } from '../../test/support/model.ts';
import { ATTACHED, fakeAgent, H } from '../../test/support/reconcile-scenarios';
import { toCommands } from './argv';

const [h1, h2, h3] = H;
const a1 = container('ctr-a0000001', 'pn-a', h1, '10.240.0.11'); // attached on host 1 (ATTACHED)
const s1 = container('ctr-c0000001', 'pn-a', h2, '10.240.0.30', 'RUNNING', 1, { applicationId: 'ap-src' });
const s2 = container('ctr-c0000002', 'pn-a', h3, '10.240.0.31', 'PENDING', 2, { applicationId: 'ap-src' });
const policy = (mode: NetworkPolicy['mode']): NetworkPolicy => ({
  mode,
  version: 1,
  tests: [],
  rules: [
    {
      from: { applicationId: 'ap-src', processType: null },
      to: { applicationId: 'ap-app1', processType: null },
      protocol: 'TCP',
      ports: [{ from: 80, to: 80 }],
    },
  ],
});
const state = (members: (typeof a1)[], mode: NetworkPolicy['mode'] = 'ENFORCE'): HostConfig =>
  hostConfig(h1, H, [network('pn-a', 100, members, undefined, undefined, { policy: policy(mode) })]);
const nftOps = (ops: { kind: string }[]) => ops.filter((o) => o.kind.startsWith('nft.'));

describe('the policy table on the fake host', () => {
  it('a new source updates the sets in place (rules and counters stay); a policy change patches the chains it changes; OFF deletes it', async () => {
    const { rec } = fakeAgent();
    const first = await rec.reconcile(state([a1, s1]), ATTACHED);
    expect(first.failures).toEqual([]);
    expect(nftOps(first.ops).map((o) => o.kind)).toEqual(['nft.replace', 'nft.replace', 'nft.replace', 'nft.replace']); // host, guard, gateway, policy

    const scaled = await rec.reconcile(state([a1, s1, s2]), ATTACHED, 'fast');
    const nft = nftOps(scaled.ops);
    expect(nft).toEqual([
      { kind: 'nft.sets', ns: 't1pn-100', vni: 100, family: 'bridge', name: 't1pn_policy', sets: { r0_src: ['10.240.0.30', '10.240.0.31'] } },
    ]);
    expect(toCommands(nft as never).map((c) => [c.argv.join(' '), c.stdin])).toEqual([
      ['ip netns exec t1pn-100 nft -f -', 'flush set bridge t1pn_policy r0_src\nadd element bridge t1pn_policy r0_src { 10.240.0.30, 10.240.0.31 }\n'],
    ]);
    rec.forgetBaseline();
    const full = await rec.reconcile(state([a1, s1, s2]), ATTACHED); // the fake kernel reads back what the sets hold
    expect(full.ops).toEqual([]);

    const emptied = await rec.reconcile(state([a1]), ATTACHED, 'fast');
    expect(nftOps(emptied.ops)).toMatchObject([{ kind: 'nft.sets', sets: { r0_src: [] } }]);
    expect(toCommands(nftOps(emptied.ops) as never)[0].stdin).toBe('flush set bridge t1pn_policy r0_src\n');

    const audit = await rec.reconcile(state([a1], 'AUDIT'), ATTACHED, 'fast');
    expect(nftOps(audit.ops).map((o) => o.kind)).toEqual(['nft.patch']);
    expect(toCommands(nftOps(audit.ops) as never)[0].stdin).toMatch(
      /^flush chain bridge t1pn_policy weft_meta\nflush chain bridge t1pn_policy verdict\ntable bridge t1pn_policy \{\n.*\n {2}chain verdict \{\n {4}counter comment "would-drop"\n {2}\}\n\}\n$/s,
    );
    rec.forgetBaseline();
    expect((await rec.reconcile(state([a1], 'AUDIT'), ATTACHED)).ops).toEqual([]); // the fake kernel holds what a replace would have written
    const twoRules = (m: HostConfig): HostConfig => ({
      ...m,
      networks: m.networks.map((n) => ({
        ...n,
        policy: { ...n.policy!, rules: [...n.policy!.rules, { ...n.policy!.rules[0], protocol: 'ICMP', ports: [] }] },
      })),
    });
    const added = await rec.reconcile(twoRules(state([a1], 'AUDIT')), ATTACHED, 'fast');
    expect(nftOps(added.ops).map((o) => o.kind)).toEqual(['nft.patch']);
    rec.forgetBaseline();
    expect((await rec.reconcile(twoRules(state([a1], 'AUDIT')), ATTACHED)).ops).toEqual([]);
    expect(nftOps((await rec.reconcile(state([a1], 'AUDIT'), ATTACHED)).ops).map((o) => o.kind)).toEqual(['nft.replace']); // a full pass reads no parts: it replaces
    const off = await rec.reconcile(state([a1], 'OFF'), ATTACHED);
    expect(nftOps(off.ops)).toEqual([{ kind: 'nft.del', ns: 't1pn-100', vni: 100, family: 'bridge', name: 't1pn_policy' }]);
  });
});
