import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ContainerModel, ContainerState, HostConfig, NetworkModel } from '../../protocol/model.ts';
import { container, host, network } from '../../test/support/model.ts';
import type { PolicyMode } from '../../protocol/policy/model.ts';
import { awaitedChange, passReporter, reportDelay } from './report-pacing.ts';

const h2 = host(2, 'k2');
const ctr = (id: string, state: ContainerState) => container(id, 'pn-1', h2, '10.240.0.5', state);
const net = (id: string, containers: ContainerModel[], policy?: { mode: PolicyMode; version: number }) =>
  network(id, 7, containers, undefined, undefined, policy ? { policy: { ...policy, rules: [], tests: [] } } : {});
const config = (revision: number, ...networks: NetworkModel[]): HostConfig => ({ revision, generation: 'g1', host: host(1, 'k1'), peers: [], networks });

const open = net('pn-1', [ctr('c1', 'RUNNING')]);
const enforced = net('pn-1', [ctr('c1', 'RUNNING')], { mode: 'ENFORCE', version: 3 });

describe('awaitedChange', () => {
  it.each([
    { name: 'the first pass', before: null, after: config(5, open), awaited: true },
    { name: 'the same networks (a resync)', before: config(5, open), after: config(5, open), awaited: false },
    {
      name: 'a container added where the policy is OFF',
      before: config(5, open),
      after: config(6, net('pn-1', [ctr('c1', 'RUNNING'), ctr('c2', 'PENDING')])),
      awaited: false,
    },
    {
      name: 'a container RUNNING where the policy is OFF',
      before: config(5, net('pn-1', [ctr('c1', 'PENDING')])),
      after: config(6, open),
      awaited: false,
    },
    {
      name: 'a container removed',
      before: config(5, net('pn-1', [ctr('c1', 'RUNNING'), ctr('c2', 'RUNNING')])),
      after: config(6, open),
      awaited: false,
    },
    { name: 'a container DRAINING (a drain waits)', before: config(5, open), after: config(6, net('pn-1', [ctr('c1', 'DRAINING')])), awaited: true },
    {
      name: 'a container added where the policy is enforced (the policy wait)',
      before: config(5, enforced),
      after: config(6, net('pn-1', [ctr('c1', 'RUNNING'), ctr('c2', 'PENDING')], { mode: 'ENFORCE', version: 3 })),
      awaited: true,
    },
    {
      name: 'a container added where the policy audits',
      before: config(5, net('pn-1', [], { mode: 'AUDIT', version: 1 })),
      after: config(6, net('pn-1', [ctr('c2', 'PENDING')], { mode: 'AUDIT', version: 1 })),
      awaited: true,
    },
    {
      name: 'a container removed where the policy is enforced',
      before: config(5, net('pn-1', [ctr('c1', 'RUNNING'), ctr('c2', 'RUNNING')], { mode: 'ENFORCE', version: 3 })),
      after: config(6, enforced),
      awaited: false,
    },
    {
      name: 'the policy rewritten',
      before: config(5, enforced),
      after: config(6, net('pn-1', [ctr('c1', 'RUNNING')], { mode: 'ENFORCE', version: 4 })),
      awaited: true,
    },
    {
      name: 'the policy switched OFF',
      before: config(5, enforced),
      after: config(6, net('pn-1', [ctr('c1', 'RUNNING')], { mode: 'OFF', version: 4 })),
      awaited: true,
    },
    { name: 'a network joined', before: config(5, open), after: config(6, open, net('pn-2', [])), awaited: true },
    { name: 'a network left', before: config(5, open, net('pn-2', [])), after: config(6, open), awaited: false },
  ])('$name: $awaited', ({ before, after, awaited }) => {
    expect(awaitedChange(before, after)).toBe(awaited);
  });
});

describe('reportDelay', () => {
  it.each([
    { now: 1000, lastSentAt: null, intervalMs: 5000, delay: 0 },
    { now: 1000, lastSentAt: 900, intervalMs: 0, delay: 0 },
    { now: 1000, lastSentAt: 900, intervalMs: 500, delay: 400 },
    { now: 1000, lastSentAt: 500, intervalMs: 500, delay: 0 },
    { now: 1000, lastSentAt: 200, intervalMs: 500, delay: 0 },
  ])('sent at $lastSentAt, pace $intervalMs ms, now $now: wait $delay ms', ({ now, lastSentAt, intervalMs, delay }) => {
    expect(reportDelay(now, lastSentAt, intervalMs)).toBe(delay);
  });
});

describe('passReporter', () => {
  /** A reporter on vitest's fake clock whose sends are answered by the test; returns the send times. */
  function harness(paceMs: number, holdMs = 0) {
    vi.useFakeTimers();
    const sent: number[] = [];
    const answers: (() => void)[] = [];
    const reporter = passReporter({
      send: () => {
        sent.push(Date.now());
        return new Promise<void>((r) => answers.push(r));
      },
      paceMs: () => paceMs,
      holdMs,
      now: () => Date.now(),
    });
    const answer = async () => {
      answers.shift()?.();
      await vi.advanceTimersByTimeAsync(0);
    };
    return { reporter, sent, answer };
  }
  afterEach(() => vi.useRealTimers());

  it('without a pace reports every pass, one in flight, the passes meanwhile folded into one', async () => {
    const { reporter, sent, answer } = harness(0);
    reporter.pass(false);
    reporter.pass(false);
    reporter.pass(false);
    expect(sent.length).toBe(1);
    await vi.advanceTimersByTimeAsync(30);
    await answer();
    expect(sent.length).toBe(2);
    await answer();
    expect(sent.length).toBe(2);
  });

  it('holds a routine pass until the pace since the previous report, and sends an awaited one at once', async () => {
    const { reporter, sent, answer } = harness(1000);
    const t0 = Date.now();
    reporter.pass(false); // the first report: none before it
    await answer();
    await vi.advanceTimersByTimeAsync(100);
    reporter.pass(false);
    reporter.pass(false);
    await vi.advanceTimersByTimeAsync(800);
    expect(sent.map((t) => t - t0)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent.map((t) => t - t0)).toEqual([0, 1000]);
    await answer();
    await vi.advanceTimersByTimeAsync(200);
    reporter.pass(false);
    await vi.advanceTimersByTimeAsync(100);
    reporter.pass(true); // a drain: no wait for the pace
    expect(sent.map((t) => t - t0)).toEqual([0, 1000, 1300]);
  });

  it('sends an awaited pass after the report in flight, not before', async () => {
    const { reporter, sent, answer } = harness(1000);
    reporter.pass(true);
    reporter.pass(true);
    expect(sent.length).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    await answer();
    expect(sent.length).toBe(2);
  });

  it('holds a report holdMs from the first pass it carries, also after the report in flight', async () => {
    const { reporter, sent, answer } = harness(0, 50);
    const t0 = Date.now();
    reporter.pass(false);
    await vi.advanceTimersByTimeAsync(60);
    reporter.pass(false); // waiting since 60, while the first report is in flight
    await vi.advanceTimersByTimeAsync(20);
    await answer(); // at 80: 30 ms of the hold left
    await vi.advanceTimersByTimeAsync(29);
    expect(sent.map((t) => t - t0)).toEqual([50]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.map((t) => t - t0)).toEqual([50, 110]);
  });

  it('waits holdMs after a pass, and sends nothing once stopped', async () => {
    const { reporter, sent } = harness(0, 50);
    reporter.pass(true);
    await vi.advanceTimersByTimeAsync(49);
    expect(sent.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.length).toBe(1);
    const stopped = harness(1000);
    stopped.reporter.pass(false);
    await stopped.answer();
    stopped.reporter.pass(false);
    stopped.reporter.stop();
    await vi.advanceTimersByTimeAsync(2000);
    expect(stopped.sent.length).toBe(1);
  });
});
