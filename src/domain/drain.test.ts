import { describe, expect, it } from 'vitest';
import { drainProgress, type Member } from './drain.ts';

const m = (id: string, appliedRevision: number | null, liveness: Member['liveness'] = 'UP', reported = true): Member => ({
  id,
  appliedRevision,
  liveness,
  reported,
});
const T = 1_000_000;
const drain = { revision: 50, ttlExpiresAt: T + 5000, appliedAt: null };

describe('safe-to-stop drain', () => {
  it.each([
    [
      'hosts behind: not yet, and which',
      drain,
      [m('h1', 50), m('h2', 49), m('h3', null)],
      T + 9000,
      { pendingHosts: ['h2', 'h3'], appliedAt: null, safeToStopAt: null },
    ],
    ['all applied before the TTL: safe at the TTL', drain, [m('h1', 50), m('h2', 51)], T + 1000, { pendingHosts: [], appliedAt: T + 1000, safeToStopAt: null }],
    [
      'all applied before the TTL, TTL passed: safe at the TTL',
      { ...drain, appliedAt: T + 1000 },
      [m('h1', 50), m('h2', 51)],
      T + 5000,
      { pendingHosts: [], appliedAt: T + 1000, safeToStopAt: T + 5000 },
    ],
    [
      'the last host applied after the TTL: safe at that moment',
      drain,
      [m('h1', 50), m('h2', 50)],
      T + 7000,
      { pendingHosts: [], appliedAt: T + 7000, safeToStopAt: T + 7000 },
    ],
    [
      'a DOWN host does not hold the drain back',
      drain,
      [m('h1', 50), m('h2', 10, 'DOWN')],
      T + 6000,
      { pendingHosts: [], appliedAt: T + 6000, safeToStopAt: T + 6000 },
    ],
    [
      'a host without an agent does not hold it back',
      drain,
      [m('h1', 50), m('h2', null, 'UP', false)],
      T + 6000,
      { pendingHosts: [], appliedAt: T + 6000, safeToStopAt: T + 6000 },
    ],
    [
      'once applied, a later lagging report does not undo it',
      { ...drain, appliedAt: T + 2000 },
      [m('h1', 50)],
      T + 5000,
      { pendingHosts: [], appliedAt: T + 2000, safeToStopAt: T + 5000 },
    ],
  ] as const)('%s', (_name, facts, members, now, expected) => {
    expect(drainProgress(facts, members, now)).toEqual(expected);
  });
});
