import { describe, expect, it } from 'vitest';
import { drainProgress, type Member } from './drain.ts';

const m = (id: string, appliedRevision: number | null, liveness: Member['liveness'] = 'UP', reported = true): Member => ({
  id,
  appliedRevision,
  liveness,
  reported,
});
const T = 1_000_000;
const drain = { revision: 50, ttlMs: 5000, appliedAt: null };

describe('safe-to-stop drain', () => {
  it.each([
    [
      'hosts behind: not yet, and which',
      drain,
      [m('h1', 50), m('h2', 49), m('h3', null)],
      T + 9000,
      { pendingHosts: ['h2', 'h3'], appliedAt: null, safeToStopAt: null },
    ],
    ['all applied now: safe one TTL later', drain, [m('h1', 50), m('h2', 51)], T + 1000, { pendingHosts: [], appliedAt: T + 1000, safeToStopAt: null }],
    [
      'all applied at T+1 s, TTL passed since: safe at T+6 s',
      { ...drain, appliedAt: T + 1000 },
      [m('h1', 50), m('h2', 51)],
      T + 6000,
      { pendingHosts: [], appliedAt: T + 1000, safeToStopAt: T + 6000 },
    ],
    [
      'one TTL not yet passed since the last host applied',
      { ...drain, appliedAt: T + 1000 },
      [m('h1', 50)],
      T + 5999,
      { pendingHosts: [], appliedAt: T + 1000, safeToStopAt: null },
    ],
    ['a DOWN host does not hold the drain back', drain, [m('h1', 50), m('h2', 10, 'DOWN')], T, { pendingHosts: [], appliedAt: T, safeToStopAt: null }],
    [
      'a host without an agent does not hold it back',
      { ...drain, appliedAt: T },
      [m('h1', 50), m('h2', null, 'UP', false)],
      T + 5000,
      { pendingHosts: [], appliedAt: T, safeToStopAt: T + 5000 },
    ],
    [
      'once applied, a host joining later behind does not undo it',
      { ...drain, appliedAt: T },
      [m('h1', 50), m('h4', 20)],
      T + 5000,
      { pendingHosts: ['h4'], appliedAt: T, safeToStopAt: T + 5000 },
    ],
  ] as const)('%s', (_name, facts, members, now, expected) => {
    expect(drainProgress(facts, members, now)).toEqual(expected);
  });
});
