/**
 * The scale bench's rows over several rounds (bench/scale-rows.ts `roundRows`): each step's median
 * creation rate with every round's, and the median of the rounds' 1,000 ÷ 100 ratios against 0.8×.
 */
import { describe, expect, it } from 'vitest';
import { roundRows, spread, type StepResult } from '../../bench/scale-rows.ts';

// Only what the rates read: creations and the burst's seconds.
const step = (agents: number, creates: number, burstS: number) => ({ agents, creates, burstS }) as StepResult;
const failed = (agents: number) => ({ agents, failed: 'API did not answer' });

describe('scale bench: rounds', () => {
  it.each([
    [[3], { median: 3, min: 3, max: 3 }],
    [[0.76, 0.55, 0.56], { median: 0.56, min: 0.55, max: 0.76 }],
    [[4, 1, 3, 2], { median: 2.5, min: 1, max: 4 }],
  ])('spread(%j)', (xs, expected) => {
    expect(spread(xs)).toEqual(expected);
  });

  it('gives each step its median rate and the median of the rounds’ ratios, per API', () => {
    const rounds = [
      [
        [step(100, 2000, 10), step(1000, 2000, 20)],
        [step(100, 2000, 8), step(1000, 2000, 16)],
      ],
      [
        [step(100, 2000, 12.5), step(1000, 2000, 16)],
        [step(100, 2000, 10), step(1000, 1000, 10)],
      ],
      [
        [step(100, 2000, 10), step(1000, 2000, 12.5)],
        [failed(100), step(1000, 2000, 20)],
      ],
    ];
    const rows = roundRows(rounds, ['', ' (before, abc1234)'], 'cmd').map((r) => [r.metric, r.value, r.unit, r.target, r.anchor]);
    expect(rows).toEqual([
      ['100 hosts: creations/s, median of 3 rounds', 200, '/s', '–', 'rounds: 200, 160, 200 (160–200)'],
      ['1000 hosts: creations/s, median of 3 rounds', 125, '/s', '–', 'rounds: 100, 125, 160 (100–160)'],
      [
        '1000 hosts: creations/s ÷ the 100-host rate, median of 3 rounds',
        0.78125,
        '×',
        '≥ 0.8×',
        'rounds: 0.50, 0.78, 0.80 (0.50–0.80); each round ran both steps back to back',
      ],
      // the baseline's third round failed at 100 hosts: its rate and that round's ratio are left out
      ['100 hosts: creations/s, median of 2 rounds (before, abc1234)', 225, '/s', '–', 'rounds: 250, 200 (200–250)'],
      ['1000 hosts: creations/s, median of 3 rounds (before, abc1234)', 100, '/s', '–', 'rounds: 125, 100, 100 (100–125)'],
      [
        '1000 hosts: creations/s ÷ the 100-host rate, median of 2 rounds (before, abc1234)',
        0.5,
        '×',
        '≥ 0.8×',
        'rounds: 0.50, 0.50 (0.50–0.50); each round ran both steps back to back',
      ],
    ]);
  });
});
