import { describe, expect, it } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { container, network } from '../../test/support/model.ts';
import { makeNames } from '../config-names.ts';
import type { CommandRunner } from '../exec/runner.ts';
import { readPolicyCounters, wouldDropSince } from './policy-counters.ts';

const names = makeNames({ prefix: 't1' });
const h1 = { id: 'host-1', meshIp: '100.64.0.1' };
const policy = (mode: 'OFF' | 'AUDIT') => ({
  mode,
  version: 4,
  tests: [],
  rules: [
    {
      from: { applicationId: 'ap-app1', processType: null },
      to: { applicationId: 'ap-app1', processType: null },
      protocol: 'TCP' as const,
      ports: [{ from: 80, to: 80 }],
    },
  ],
});
const model = {
  revision: 9,
  host: { id: 'host-1' },
  peers: [],
  networks: [
    network('pn-a', 100, [container('ctr-a', 'pn-a', h1, '10.240.0.2')], undefined, undefined, { policy: policy('AUDIT') }),
    network('pn-b', 101, [container('ctr-b', 'pn-b', h1, '10.240.0.2')], undefined, undefined, { policy: policy('OFF') }),
    network('pn-c', 102, [container('ctr-c', 'pn-c', h1, '10.240.0.2')]),
  ],
} as unknown as HostConfig;

const rule = (comment: string, packets: number) => ({
  rule: { family: 'bridge', table: names.policyTable, chain: 'forward', comment, expr: [{ counter: { packets, bytes: packets * 60 } }] },
});

describe('readPolicyCounters', () => {
  it('reads the policy table of each network whose policy is on, with the model’s version; reads only', async () => {
    const calls: string[][] = [];
    const runner: CommandRunner = {
      async run(argv) {
        calls.push(argv);
        return { stdout: JSON.stringify({ nftables: [rule('rule-0', 2), rule('reply-x', 9), rule('would-drop', 5)] }), stderr: '' };
      },
    };
    expect(await readPolicyCounters(runner, names, model)).toEqual([
      {
        networkId: 'pn-a',
        version: 4,
        counters: [
          { counter: 'rule-0', packets: 2, bytes: 120 },
          { counter: 'would-drop', packets: 5, bytes: 300 },
        ],
      },
    ]);
    expect(calls).toEqual([['ip', 'netns', 'exec', 't1pn-100', 'nft', '-j', 'list', 'table', 'bridge', 't1pn_policy']]);
  });

  it('leaves out a sandbox that cannot be read', async () => {
    const runner: CommandRunner = { run: async () => Promise.reject(new Error('no such table')) };
    expect(await readPolicyCounters(runner, names, model)).toEqual([]);
  });
});

describe('wouldDropSince', () => {
  it('says how much would-drop rose per network; a lower value is a rewritten table counting from 0', () => {
    const seen = new Map<string, number>();
    const report = (n: number) => [{ networkId: 'pn-a', version: 1, counters: [{ counter: 'would-drop', packets: n, bytes: 0 }] }];
    expect(wouldDropSince(seen, report(3))).toEqual([{ networkId: 'pn-a', flows: 3 }]);
    expect(wouldDropSince(seen, report(3))).toEqual([]);
    expect(wouldDropSince(seen, report(7))).toEqual([{ networkId: 'pn-a', flows: 4 }]);
    expect(wouldDropSince(seen, report(2))).toEqual([{ networkId: 'pn-a', flows: 2 }]);
  });
});
