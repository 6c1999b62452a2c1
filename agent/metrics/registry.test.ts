import { describe, expect, it } from 'vitest';
import { promtoolCheck, hasPromtool, sample } from '../../test/support/prometheus.ts';
import { container, network } from '../../test/support/model.ts';
import type { HostConfig } from '../../protocol/model.ts';
import { makeNames } from '../config-names.ts';
import { emptyMetrics } from '../dns/metrics.ts';
import type { CommandRunner } from '../exec/runner.ts';
import type { Op } from '../reconcile/ops.ts';
import type { PassReport } from '../reconcile/reconciler.ts';
import { createAgentMetrics } from './registry.ts';

const names = makeNames({ prefix: 'wm' });

function world(): HostConfig {
  const web = container('ctr-0a1b2c3d-0000-4000-8000-000000000001', 'pn-a', { id: 'host-1', meshIp: '100.64.0.1' }, '10.240.0.2');
  const remote = container('ctr-0a1b2c3e-0000-4000-8000-000000000002', 'pn-a', { id: 'host-2', meshIp: '100.64.0.2' }, '10.240.0.3');
  return { revision: 7, host: { id: 'host-1' }, peers: [], networks: [network('pn-a', 100, [web, remote])] } as unknown as HostConfig;
}

/** A runner answering the three reads with fixed counters, recording what it was asked. */
function fakeRunner(model: HostConfig, calls: string[][]): CommandRunner {
  const nft = (table: string, rules: [string, number][]) =>
    JSON.stringify({
      nftables: rules.map(([comment, packets]) => ({
        rule: { family: 'x', table, chain: 'c', comment, expr: [{ counter: { packets, bytes: packets * 100 } }] },
      })),
    });
  const veth = names.veth(model.networks[0].containers[0].id);
  return {
    async run(argv) {
      calls.push(argv);
      if (argv[0] === 'nft') return { stdout: nft(names.hostTable, [['vxlan-not-via-wg', 2]]), stderr: '' };
      if (argv.includes('nft')) {
        const guard = JSON.parse(
          nft(names.guardTable, [
            ['ip-spoof', 5],
            ['mac-spoof', 1],
          ]),
        );
        const policy = JSON.parse(
          nft(names.policyTable, [
            ['rule-0', 4],
            ['would-drop', 3],
          ]),
        );
        return { stdout: JSON.stringify({ nftables: [...guard.nftables, ...policy.nftables] }), stderr: '' };
      }
      const link = { ifname: veth, stats64: { rx: { bytes: 1000, packets: 10 }, tx: { bytes: 3000, packets: 30 } } };
      return { stdout: JSON.stringify([link, { ifname: 'other', stats64: link.stats64 }]), stderr: '' };
    },
  };
}

const op = (kind: string): Op => ({ kind }) as unknown as Op;

describe('agent metrics', () => {
  it('counts passes, ops by kind and outcome, and the delta→applied latency', async () => {
    let t = 1000;
    const m = createAgentMetrics({ now: () => t });
    const add = op('fdb.add');
    const failedOp = op('neigh.add');
    m.received(5, 1000);
    m.received(6, 1500);
    t = 2000;
    const report = { mode: 'fast', ops: [add, op('fdb.add'), failedOp], failures: [{ op: failedOp, error: 'x' }], durationMs: 40 } as unknown as PassReport;
    m.pass(report, 6);
    m.pass({ mode: 'full', ops: [], failures: [], durationMs: 250 } as unknown as PassReport, 6);
    m.passFailed('full');
    const text = await m.registry.metrics();
    expect(sample(text, 'weft_agent_reconcile_passes_total', { mode: 'fast', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'weft_agent_reconcile_passes_total', { mode: 'fast', outcome: 'failed' })).toBe(0);
    expect(sample(text, 'weft_agent_reconcile_passes_total', { mode: 'full', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'weft_agent_reconcile_passes_total', { mode: 'full', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'weft_agent_reconcile_duration_seconds_sum', { mode: 'fast' })).toBe(0.04);
    expect(sample(text, 'weft_agent_reconcile_duration_seconds_sum', { mode: 'full' })).toBe(0.25);
    expect(sample(text, 'weft_agent_ops_total', { kind: 'fdb.add', outcome: 'applied' })).toBe(2);
    expect(sample(text, 'weft_agent_ops_total', { kind: 'neigh.add', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'weft_agent_ops_total', { kind: 'neigh.add', outcome: 'applied' })).toBe(0);
    expect(sample(text, 'weft_agent_applied_revision')).toBe(6);
    expect(sample(text, 'weft_agent_delta_applied_seconds_count')).toBe(2);
    expect(sample(text, 'weft_agent_delta_applied_seconds_sum')).toBe(1.5); // 1 s + 0.5 s
  });

  it('reads DNS, nftables, veth and brake counters at scrape time, for containers attached here only', async () => {
    const model = world();
    const calls: string[][] = [];
    const m = createAgentMetrics();
    const dns = { ...emptyMetrics(), queries: 12, forwarded: 3, forwardFailed: 1, rcodes: { NOERROR: 10, SERVFAIL: 2 } };
    const local = model.networks[0].containers[0].id;
    m.watch({
      model: () => model,
      attachments: () => ({ [local]: '/run/netns/x', 'ctr-not-in-model': '/run/netns/y' }),
      runner: fakeRunner(model, calls),
      names,
      dnsMetrics: async () => ({ 'pn-a': dns }),
      safety: () => ({ brake: { objectsHeld: 14 }, fence: null }),
    });
    const text = await m.registry.metrics();
    expect(sample(text, 'weft_dns_queries_total', { network: 'pn-a' })).toBe(12);
    expect(sample(text, 'weft_dns_responses_total', { network: 'pn-a', rcode: 'SERVFAIL' })).toBe(2);
    expect(sample(text, 'weft_dns_upstream_forwards_total', { network: 'pn-a' })).toBe(3);
    expect(sample(text, 'weft_dns_upstream_failures_total', { network: 'pn-a' })).toBe(1);
    expect(sample(text, 'weft_nft_dropped_packets_total', { network: '_host', rule: 'vxlan-not-via-wg' })).toBe(2);
    expect(sample(text, 'weft_nft_dropped_packets_total', { network: 'pn-a', rule: 'ip-spoof' })).toBe(5);
    expect(sample(text, 'weft_nft_dropped_bytes_total', { network: 'pn-a', rule: 'mac-spoof' })).toBe(100);
    expect(sample(text, 'weft_policy_flows_total', { network: 'pn-a', counter: 'rule-0' })).toBe(4);
    expect(sample(text, 'weft_policy_bytes_total', { network: 'pn-a', counter: 'would-drop' })).toBe(300);
    expect(text).not.toMatch(/^weft_nft_dropped_packets_total\{[^}]*rule="rule-0"/m); // an allow is not a drop
    expect(sample(text, 'weft_container_veth_bytes_total', { container: local, direction: 'transmit' })).toBe(1000);
    expect(sample(text, 'weft_container_veth_bytes_total', { container: local, direction: 'receive' })).toBe(3000);
    expect(sample(text, 'weft_container_veth_packets_total', { container: local, direction: 'receive' })).toBe(30);
    expect(text).not.toContain(model.networks[0].containers[1].id); // remote: no series here
    expect(sample(text, 'weft_agent_brake_engaged')).toBe(1);
    expect(sample(text, 'weft_agent_brake_held_objects')).toBe(14);
    expect(sample(text, 'weft_agent_fenced')).toBe(0);
    expect(calls.every((argv) => argv.includes('-j'))).toBe(true); // reads only
    if (hasPromtool) expect(promtoolCheck(text)).toBe('');
  });

  it('leaves a sandbox that cannot be read out of the scrape and counts the error', async () => {
    const model = world();
    const m = createAgentMetrics();
    m.watch({
      model: () => model,
      attachments: () => ({}),
      runner: {
        async run(argv) {
          throw new Error(`${argv.join(' ')}: no such namespace`);
        },
      },
      names,
      dnsMetrics: async () => {
        throw new Error('daemon down');
      },
    });
    const text = await m.registry.metrics();
    expect(sample(text, 'weft_agent_scrape_errors_total', { source: 'nft' })).toBe(2); // host table + one sandbox
    expect(sample(text, 'weft_agent_scrape_errors_total', { source: 'dns' })).toBe(1);
    expect(text).not.toMatch(/^weft_nft_dropped_packets_total\{/m);
    expect(sample(text, 'weft_agent_brake_engaged')).toBe(0);
  });
});
