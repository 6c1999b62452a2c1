/**
 * The nft scripts the agent really renders for one sandbox, through toCommands: the anti-spoof
 * guard, the gateway table and a policy table replaced atomically, a policy's sets updated in place,
 * a table deleted. Shared by the one-line table test (agent/exec/nft-line.test.ts) and the root
 * test that runs them through a real `nft -i` session (test/netns/batch-session.test.ts).
 */
import { gatewayTableText, guardTableText, patchScript } from '../../agent/desired/nft-text';
import { policyTableText } from '../../agent/desired/policy-nft';
import { toCommands } from '../../agent/reconcile/argv';
import type { Op } from '../../agent/reconcile/ops';
import type { NetworkPolicy } from '../../protocol/policy/model.ts';
import { container, network } from './model.ts';

const h1 = { id: 'host-1', meshIp: '100.64.0.1' };
const h2 = { id: 'host-2', meshIp: '100.64.0.2' };
const app = (applicationId: string, processType = 'web') => ({ applicationId, processType });
const peer = (applicationId: string, processType: string | null = null) => ({ applicationId, processType });
const policy: NetworkPolicy = {
  mode: 'ENFORCE',
  version: 1,
  tests: [],
  rules: [
    { from: peer('ap-proxy'), to: peer('ap-backend'), protocol: 'TCP', ports: [{ from: 8080, to: 8080 }] },
    {
      from: peer('ap-worker', 'worker'),
      to: peer('ap-backend'),
      protocol: 'UDP',
      ports: [
        { from: 53, to: 53 },
        { from: 9000, to: 9100 },
      ],
    },
    { from: peer('ap-proxy'), to: peer('ap-backend'), protocol: 'ICMP', ports: [] },
  ],
};
const containers = [
  container('ctr-p1', 'pn-1', h1, '10.240.0.2', 'RUNNING', 1, app('ap-proxy')),
  container('ctr-b1', 'pn-1', h2, '10.240.0.3', 'RUNNING', 1, app('ap-backend')),
  container('ctr-w1', 'pn-1', h1, '10.240.0.4', 'RUNNING', 1, app('ap-worker', 'worker')),
];

/**
 * The scripts for sandbox `ns`, by what they do: each is the stdin of one `ip netns exec <ns> nft -f -`.
 * `patch` turns the policy table of `replace` into the one `patched` writes whole: AUDIT, rule 0 on
 * another port, rule 2 gone, a new source in rule 1.
 */
export function renderedNftScripts(ns: string): { replace: string; sets: string; del: string; patch: string; patched: string } {
  const guard = guardTableText('xs_guard', 'xspnc-*', [
    { veth: 'xspnc-1', mac: '02:00:0a:f0:00:03', ip: '10.240.0.3' },
    { veth: 'xspnc-2', mac: '02:00:0a:f0:00:05', ip: '10.240.0.5' },
  ]);
  const pol = policyTableText('xs_policy', network('pn-1', 7, containers, undefined, undefined, { policy }), 'host-2', new Set(['RUNNING']))!;
  const changed: NetworkPolicy = {
    ...policy,
    mode: 'AUDIT',
    rules: [{ ...policy.rules[0], ports: [{ from: 8443, to: 8443 }] }, policy.rules[1]],
  };
  const more = [...containers, container('ctr-w2', 'pn-1', h1, '10.240.0.6', 'RUNNING', 2, app('ap-worker', 'worker'))];
  const next = policyTableText('xs_policy', network('pn-1', 7, more, undefined, undefined, { policy: changed }), 'host-2', new Set(['RUNNING']))!;
  const one = (ops: Op[]) => {
    const cmds = toCommands(ops);
    if (cmds.length !== 1 || cmds[0].stdin === undefined) throw new Error('expected one nft command');
    return cmds[0].stdin;
  };
  return {
    replace: one([
      { kind: 'nft.replace', ns, vni: 7, table: guard },
      { kind: 'nft.replace', ns, vni: 7, table: gatewayTableText('xs_gw') },
      { kind: 'nft.replace', ns, vni: 7, table: pol },
    ]),
    sets: one([{ kind: 'nft.sets', ns, vni: 7, family: 'bridge', name: 'xs_policy', sets: { r0_src: ['10.240.0.2', '10.240.0.9'], iso: [] } }]),
    del: one([{ kind: 'nft.del', ns, vni: 7, family: 'inet', name: 'xs_gw' }]),
    patch: one([
      { kind: 'nft.patch', ns, vni: 7, family: 'bridge', name: 'xs_policy', script: patchScript(next, { parts: pol.parts!, elements: pol.setElements })! },
    ]),
    patched: one([{ kind: 'nft.replace', ns, vni: 7, table: next }]),
  };
}
