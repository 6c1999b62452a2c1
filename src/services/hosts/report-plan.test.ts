import { describe, expect, it } from 'vitest';
import type { DomainError } from '../../domain/errors.ts';
import { appliedAt, checkPasses, mergedRanges, planReports, reportIntervalMs, type QueuedReport, type ReportedHost, sampledChanges } from './report-plan.ts';

const BRAKE = { since: '2026-12-07T00:00:00.000Z', objectsHeld: 3, hostObjects: 40, nearEmpty: true, reason: 'near-empty model' };
const host = (applied: number | null, safety: string | null = null, tokenVersion = 1): ReportedHost => ({ applied, safety, tokenVersion });
const report = (hostId: string, appliedRevision: number | null, now: number, extra: Partial<QueuedReport> & { brake?: boolean } = {}): QueuedReport => ({
  input: { hostId, appliedRevision, safety: extra.brake ? { brake: BRAKE, fence: null } : { brake: null, fence: null } },
  tokenVersion: extra.tokenVersion,
  now,
});

describe('planReports', () => {
  const hosts = new Map<string, ReportedHost>([
    ['h1', host(100)],
    ['h2', host(null)],
    ['h3', host(100, JSON.stringify({ brake: BRAKE, fence: null }))],
    ['h4', host(10, null, 2)],
  ]);
  const feed = { head: 500, compacted: 50 };

  it.each([
    {
      name: 'a report after a previous one samples the revisions between them',
      reports: [report('h1', 120, 7)],
      outcomes: [{ ok: true, accepted: { index: 0, hostId: 'h1', sample: { from: 100, to: 120 }, engaged: null } }],
      updates: [{ hostId: 'h1', heartbeatAt: 7, safety: null, applied: 120 }],
    },
    {
      name: "a host's first report samples nothing; a heartbeat keeps the revision",
      reports: [report('h2', 30, 7), report('h1', null, 8)],
      outcomes: [
        { ok: true, accepted: { index: 0, hostId: 'h2', sample: null, engaged: null } },
        { ok: true, accepted: { index: 1, hostId: 'h1', sample: null, engaged: null } },
      ],
      updates: [
        { hostId: 'h2', heartbeatAt: 7, safety: null, applied: 30 },
        { hostId: 'h1', heartbeatAt: 8, safety: null, applied: 100 },
      ],
    },
    {
      name: 'two reports of one host in a group: the second starts where the first left; the revision never goes back',
      reports: [report('h1', 150, 7), report('h1', 140, 8), report('h1', 160, 9)],
      outcomes: [
        { ok: true, accepted: { index: 0, hostId: 'h1', sample: { from: 100, to: 150 }, engaged: null } },
        { ok: true, accepted: { index: 1, hostId: 'h1', sample: null, engaged: null } },
        { ok: true, accepted: { index: 2, hostId: 'h1', sample: { from: 150, to: 160 }, engaged: null } },
      ],
      updates: [{ hostId: 'h1', heartbeatAt: 9, safety: null, applied: 160 }],
    },
    {
      name: 'a deep gap samples the latest 200; a range below the compaction mark samples nothing',
      reports: [report('h1', 450, 7), report('h4', 200, 7, { tokenVersion: 2 })],
      outcomes: [
        { ok: true, accepted: { index: 0, hostId: 'h1', sample: { from: 250, to: 450 }, engaged: null } },
        { ok: true, accepted: { index: 1, hostId: 'h4', sample: null, engaged: null } },
      ],
      updates: [
        { hostId: 'h1', heartbeatAt: 7, safety: null, applied: 450 },
        { hostId: 'h4', heartbeatAt: 7, safety: null, applied: 200 },
      ],
    },
    {
      name: 'the brake engages once: not again while stored, not twice in one group',
      reports: [report('h1', null, 7, { brake: true }), report('h1', null, 8, { brake: true }), report('h3', null, 7, { brake: true })],
      outcomes: [
        { ok: true, accepted: { index: 0, hostId: 'h1', sample: null, engaged: BRAKE } },
        { ok: true, accepted: { index: 1, hostId: 'h1', sample: null, engaged: null } },
        { ok: true, accepted: { index: 2, hostId: 'h3', sample: null, engaged: null } },
      ],
      updates: [
        { hostId: 'h1', heartbeatAt: 8, safety: JSON.stringify({ brake: BRAKE, fence: null }), applied: 100 },
        { hostId: 'h3', heartbeatAt: 7, safety: JSON.stringify({ brake: BRAKE, fence: null }), applied: 100 },
      ],
    },
  ])('$name', ({ reports, outcomes, updates }) => {
    expect(planReports(reports, hosts, feed)).toEqual({ outcomes, updates });
  });

  it('refuses a rotated token, an unknown host and a revision above the head, and plans nothing for them', () => {
    const plan = planReports(
      [report('h4', 20, 7, { tokenVersion: 1 }), report('h9', 20, 7), report('h9', 20, 7, { tokenVersion: 1 }), report('h1', 501, 7)],
      hosts,
      feed,
    );
    expect(plan.outcomes.map((o) => (o.ok ? 'ok' : `${o.error.code}: ${o.error.message}`))).toEqual([
      'UNAUTHENTICATED: not authenticated: agent token was revoked or its host no longer exists',
      'NOT_FOUND: host h9 not found',
      'UNAUTHENTICATED: not authenticated: agent token was revoked or its host no longer exists',
      'BAD_USER_INPUT: appliedRevision 501 is above the head revision 500',
    ]);
    expect(plan.updates).toEqual([]);
  });
});

describe('sampledChanges and mergedRanges', () => {
  const rows = [
    { revision: 101, networkId: 'n1', hostId: null, createdAt: 1 },
    { revision: 102, networkId: 'n2', hostId: null, createdAt: 2 },
    { revision: 103, networkId: 'n1', hostId: 'h2', createdAt: 3 },
    { revision: 104, networkId: 'n2', hostId: 'h1', createdAt: 4 },
    { revision: 105, networkId: null, hostId: null, createdAt: 5 },
    { revision: 106, networkId: 'n1', hostId: null, createdAt: 6 },
  ];

  it("keeps the rows of the report's range that its host's feed holds: its own, and its networks' rows", () => {
    const accepted = { index: 0, hostId: 'h1', sample: { from: 100, to: 105 }, engaged: null };
    expect(sampledChanges(accepted, new Set(['n1']), rows).map((r) => r.revision)).toEqual([101, 104]);
    expect(sampledChanges({ ...accepted, sample: null }, new Set(['n1']), rows)).toEqual([]);
  });

  it('merges overlapping and touching ranges into one read each', () => {
    const a = (from: number, to: number) => ({ index: 0, hostId: 'h', sample: { from, to }, engaged: null });
    expect(mergedRanges([a(150, 160), a(100, 120), a(110, 130), a(130, 140), { ...a(0, 0), sample: null }])).toEqual([
      { from: 100, to: 140 },
      { from: 150, to: 160 },
    ]);
  });
});

describe('appliedAt', () => {
  const passes = [
    { revision: 10, agoMs: 300 },
    { revision: 14, agoMs: 120 },
    { revision: 20, agoMs: 5 },
  ];
  it.each([
    { revision: 8, expected: 700, why: 'an older revision: the first pass already held it' },
    { revision: 10, expected: 700, why: 'the pass that reached it' },
    { revision: 11, expected: 880, why: 'the first pass at or above it' },
    { revision: 20, expected: 995, why: 'the newest pass' },
    { revision: 21, expected: 1000, why: "no pass reached it: the report's arrival" },
  ])('revision $revision at $expected: $why', ({ revision, expected }) => {
    expect(appliedAt(passes, 1000, revision)).toBe(expected);
  });
  it('is the arrival without passes', () => {
    expect(appliedAt(undefined, 1000, 5)).toBe(1000);
    expect(appliedAt([], 1000, 5)).toBe(1000);
  });
});

describe('checkPasses', () => {
  const pass = (revision: number, agoMs = 0) => ({ revision, agoMs });
  it.each([
    { input: { appliedRevision: 20, passes: [pass(10, 40), pass(20, 3)] }, refused: null },
    { input: { appliedRevision: null, passes: [] }, refused: null },
    { input: { appliedRevision: null, passes: [pass(1)] }, refused: ['BAD_USER_INPUT', 'passes come with an appliedRevision', 'passes'] },
    {
      input: { appliedRevision: 40, passes: Array.from({ length: 33 }, (_, i) => pass(i)) },
      refused: ['BAD_USER_INPUT', 'at most 32 passes in a report', 'passes'],
    },
    { input: { appliedRevision: 20, passes: [pass(10, -1)] }, refused: ['BAD_USER_INPUT', 'agoMs must not be negative', 'passes.0.agoMs'] },
    {
      input: { appliedRevision: 20, passes: [pass(10), pass(21)] },
      refused: ['BAD_USER_INPUT', 'a pass revision is above appliedRevision', 'passes.1.revision'],
    },
    { input: { appliedRevision: 20, passes: [pass(10), pass(10)] }, refused: ['BAD_USER_INPUT', 'pass revisions must rise', 'passes.1.revision'] },
  ])('$input.passes.length passes at $input.appliedRevision: $refused', ({ input, refused }) => {
    let error: unknown = null;
    try {
      checkPasses(input);
    } catch (e) {
      error = e;
    }
    const e = error as DomainError | null;
    expect(e && [e.code, e.message, e.details.field]).toEqual(refused);
  });
});

describe('reportIntervalMs', () => {
  it.each([
    { hosts: 1000, budget: 200, interval: 5000 },
    { hosts: 100, budget: 200, interval: 500 },
    { hosts: 20, budget: 200, interval: 100 },
    { hosts: 19, budget: 200, interval: 0 },
    { hosts: 0, budget: 200, interval: 0 },
    { hosts: 5000, budget: 200, interval: 10_000 },
    { hosts: 1000, budget: 0, interval: 0 },
    { hosts: 7, budget: 3, interval: 2333 },
  ])('$hosts hosts at $budget reports/s: one per $interval ms', ({ hosts, budget, interval }) => {
    expect(reportIntervalMs(hosts, budget)).toBe(interval);
  });
});
