import { describe, expect, it } from 'vitest';
import { type HostBeat, livenessStep, mayChange } from './liveness.ts';

const o = { downAfterMs: 30_000, maxFraction: 1 / 3 };
const now = 1_000_000;
const beat = (
  id: string,
  ago: number | null,
  liveness: HostBeat['liveness'] = 'UP',
  downFor: number | null = null,
  heldBackAgo: number | null = null,
): HostBeat => ({
  id,
  lastSeenAt: ago === null ? null : now - ago,
  liveness,
  livenessChangedAt: downFor === null ? null : now - downFor,
  heldBackAt: heldBackAgo === null ? null : now - heldBackAgo,
});

const cases = [
  [
    'all report: nothing moves',
    [beat('h1', 1000), beat('h2', 4000), beat('h3', 29_999)],
    { down: [], up: [], silent: [], partitioned: false, wouldGoDown: [] },
  ],
  [
    '1 of 3 silent for 30 s: DOWN',
    [beat('h1', 1000), beat('h2', 1000), beat('h3', 30_000)],
    { down: ['h3'], up: [], silent: ['h3'], partitioned: false, wouldGoDown: ['h3'] },
  ],
  [
    '2 of 3 silent at once: partition guard, nobody DOWN',
    [beat('h1', 1000), beat('h2', 31_000), beat('h3', 30_000)],
    { down: [], up: [], silent: ['h2', 'h3'], partitioned: true, wouldGoDown: ['h2', 'h3'] },
  ],
  [
    'a DOWN host reports again: UP',
    [beat('h1', 1000), beat('h2', 1000), beat('h3', 500, 'DOWN')],
    { down: [], up: ['h3'], silent: [], partitioned: false, wouldGoDown: [] },
  ],
  [
    'a host DOWN for long does not count towards the guard',
    [beat('h1', 1000), beat('h2', 40_000), beat('h3', 90_000, 'DOWN', 60_000)],
    { down: ['h2'], up: [], silent: ['h2', 'h3'], partitioned: false, wouldGoDown: ['h2'] },
  ],
  [
    'staggered silence: the second host has been silent for half the window: partition guard',
    [beat('h1', 1000), beat('h2', 30_000), beat('h3', 26_000)],
    { down: [], up: [], silent: ['h2'], partitioned: true, wouldGoDown: ['h2'] },
  ],
  [
    'a host silent for less than half the window does not count: DOWN',
    [beat('h1', 1000), beat('h2', 30_000), beat('h3', 14_000)],
    { down: ['h2'], up: [], silent: ['h2'], partitioned: false, wouldGoDown: ['h2'] },
  ],
  [
    'a host marked DOWN within the window counts: the next silent one is held back',
    [beat('h1', 1000), beat('h2', 40_000, 'DOWN', 10_000), beat('h3', 30_000)],
    { down: [], up: [], silent: ['h2', 'h3'], partitioned: true, wouldGoDown: ['h3'] },
  ],
  [
    'a host that never reported is neither UP-silent nor DOWN',
    [beat('h1', 1000), beat('h2', null), beat('h3', null)],
    { down: [], up: [], silent: [], partitioned: false, wouldGoDown: [] },
  ],
  [
    'every host silent (the API is cut off): nobody DOWN',
    [beat('h1', 60_000), beat('h2', 60_000), beat('h3', 60_000)],
    { down: [], up: [], silent: ['h1', 'h2', 'h3'], partitioned: true, wouldGoDown: ['h1', 'h2', 'h3'] },
  ],
  ["a single host fleet: its silence is the API's own", [beat('h1', 60_000)], { down: [], up: [], silent: ['h1'], partitioned: true, wouldGoDown: ['h1'] }],
  [
    '2 of 6 silent (exactly 1/3): DOWN',
    [1, 2, 3, 4].map((i) => beat(`h${i}`, 0)).concat([beat('h5', 30_000), beat('h6', 30_000)]),
    { down: ['h5', 'h6'], up: [], silent: ['h5', 'h6'], partitioned: false, wouldGoDown: ['h5', 'h6'] },
  ],
  [
    'a partition heals host by host: the last host back, held back 1 s ago, is in its grace',
    [beat('h1', 1000), beat('h2', 500), beat('h3', 40_000, 'UP', null, 1000)],
    { down: [], up: [], silent: ['h3'], partitioned: false, wouldGoDown: ['h3'] },
  ],
  [
    'a held-back host still silent 30 s after the guard last held: DOWN',
    [beat('h1', 1000), beat('h2', 500), beat('h3', 80_000, 'UP', null, 30_000)],
    { down: ['h3'], up: [], silent: ['h3'], partitioned: false, wouldGoDown: ['h3'] },
  ],
] as const;

describe('host liveness', () => {
  it.each(cases)('%s', (_name, hosts, expected) => {
    expect(livenessStep(hosts, now, o)).toEqual(expected);
  });

  // The sweep's first question (services/hosts/liveness.ts): false only where the step moves nothing.
  it.each(cases)('%s: mayChange', (_name, hosts, expected) => {
    expect(mayChange(hosts, now, o)).toBe(expected.up.length > 0 || expected.wouldGoDown.length > 0);
  });

  it.each([
    ['all heard from within 30 s', [beat('h1', 1000), beat('h2', 29_999)], false],
    ['one UP host silent for 30 s', [beat('h1', 1000), beat('h2', 30_000)], true],
    ['one DOWN host heard from', [beat('h1', 1000), beat('h2', 1000, 'DOWN', 60_000)], true],
    ['one DOWN host still silent, one never reported', [beat('h1', 1000), beat('h2', 40_000, 'DOWN', 10_000), beat('h3', null)], false],
  ] as const)('mayChange: %s → %s', (_name, hosts, expected) => {
    expect(mayChange(hosts, now, o)).toBe(expected);
  });

  it.each([
    ['silent 30 s, the sweeping API started 20 s ago: not yet', 20_000, []],
    ['silent 30 s, the sweeping API started 30 s ago: DOWN', 30_000, ['h3']],
  ] as const)('%s', (_name, startedAgo, down) => {
    const hosts = [beat('h1', 1000), beat('h2', 1000), beat('h3', 30_000)];
    expect(livenessStep(hosts, now, { ...o, countFrom: now - startedAgo }).down).toEqual(down);
  });
});
