import { describe, expect, it } from 'vitest';
import type { NetworkPolicy } from '../../protocol/policy/model.ts';
import { container, network } from '../../test/support/model.ts';
import type { PolicySources } from '../api/client.ts';
import { awaitPolicySources, isPolicySource } from './policy-wait';

const h1 = { id: 'host-1', meshIp: '100.64.0.1' };
const proxy = container('ctr-p2', 'pn-1', h1, '10.240.0.9', 'PENDING', 2, { applicationId: 'ap-proxy', processType: 'web' });
const worker = container('ctr-w2', 'pn-1', h1, '10.240.0.10', 'PENDING', 2, { applicationId: 'ap-worker', processType: 'worker' });
const policy = (mode: NetworkPolicy['mode']): NetworkPolicy => ({
  mode,
  version: 1,
  tests: [],
  rules: [
    {
      from: { applicationId: 'ap-proxy', processType: null },
      to: { applicationId: 'ap-backend', processType: null },
      protocol: 'TCP',
      ports: [{ from: 8080, to: 8080 }],
    },
  ],
});
const net = (mode: NetworkPolicy['mode']) => network('pn-1', 7, [proxy, worker], undefined, undefined, { policy: policy(mode) });

/** A fake API answering `answers` in turn (the last one again), recording questions, log lines and outcomes. */
function harness(answers: (PolicySources | Error)[], boundMs = 1000) {
  const asked: string[] = [];
  const logs: string[] = [];
  const outcomes: string[] = [];
  const opts = {
    ask: async (id: string) => {
      const a = answers[Math.min(asked.push(id) - 1, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a;
    },
    boundMs,
    pollMs: 1,
    log: (l: string) => logs.push(l),
    outcome: (o: string) => outcomes.push(o),
  };
  return { opts, asked, logs, outcomes };
}

describe('awaitPolicySources: an attach waits until the other hosts’ policy sets hold a new source', () => {
  it.each([
    ['OFF', net('OFF'), proxy, false],
    ['a source of a rule', net('ENFORCE'), proxy, true],
    ['AUDIT counts as active', net('AUDIT'), proxy, true],
    ['named by no rule as a source', net('ENFORCE'), worker, false],
  ])('isPolicySource: %s', (_what, n, c, expected) => {
    expect(isPolicySource(n, c)).toBe(expected);
  });

  it('asks nothing when there is nothing to wait for', async () => {
    const h = harness([{ ready: false, pendingHosts: ['host-2'] }]);
    expect(await awaitPolicySources(h.opts, net('OFF'), proxy)).toBe('none');
    expect(await awaitPolicySources(h.opts, net('ENFORCE'), worker)).toBe('none');
    expect([h.asked, h.outcomes]).toEqual([[], []]);
  });

  it('asks again until the hosts applied it; an API error is "not yet"', async () => {
    const h = harness([{ ready: false, pendingHosts: ['host-2'] }, new Error('ECONNRESET'), { ready: true, pendingHosts: [] }]);
    expect(await awaitPolicySources(h.opts, net('ENFORCE'), proxy)).toBe('ready');
    expect([h.asked, h.outcomes, h.logs]).toEqual([['ctr-p2', 'ctr-p2', 'ctr-p2'], ['ready'], []]);
  });

  it('answers at the bound, naming the hosts still behind', async () => {
    const h = harness([{ ready: false, pendingHosts: ['host-2', 'host-3'] }], 20);
    expect(await awaitPolicySources(h.opts, net('ENFORCE'), proxy)).toBe('timeout');
    expect(h.outcomes).toEqual(['timeout']);
    expect(h.logs).toEqual([
      'agent: attach ctr-p2: policy sets of host-2, host-3 not confirmed to hold it after 20 ms; answering anyway (its first packets there may be refused)',
    ]);
  });
});
