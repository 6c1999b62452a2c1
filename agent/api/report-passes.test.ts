import { describe, expect, it } from 'vitest';
import { afterReported, type EndedPass, notePass, passesAt } from './report-passes.ts';

const log = (...passes: [number, number][]): EndedPass[] => passes.map(([revision, endedAt]) => ({ revision, endedAt }));

describe('notePass', () => {
  it.each([
    { name: 'the first pass', before: log(), pass: [10, 5], after: log([10, 5]) },
    { name: 'a newer revision is added', before: log([10, 5]), pass: [12, 9], after: log([10, 5], [12, 9]) },
    { name: 'the same revision again keeps the pass that applied it', before: log([10, 5]), pass: [10, 9], after: log([10, 5]) },
    { name: 'a lower revision (another database) starts again', before: log([10, 5], [12, 9]), pass: [3, 11], after: log([3, 11]) },
  ])('$name', ({ before, pass, after }) => {
    expect(notePass(before, pass[0], pass[1])).toEqual(after);
  });

  it('keeps the newest 32 passes', () => {
    let passes: readonly EndedPass[] = [];
    for (let r = 1; r <= 40; r++) passes = notePass(passes, r, r * 10);
    expect(passes.length).toBe(32);
    expect(passes[0]).toEqual({ revision: 9, endedAt: 90 });
    expect(passes.at(-1)).toEqual({ revision: 40, endedAt: 400 });
  });
});

describe('passesAt and afterReported', () => {
  it('sends how long ago each pass ended, in whole milliseconds, never negative', () => {
    expect(passesAt(log([10, 100.2], [12, 149.6], [13, 151]), 150.4)).toEqual([
      { revision: 10, agoMs: 50 },
      { revision: 12, agoMs: 1 },
      { revision: 13, agoMs: 0 },
    ]);
  });

  it('keeps the passes that ended after the accepted report was sent', () => {
    expect(afterReported(log([10, 1], [12, 2], [13, 3]), 12)).toEqual(log([13, 3]));
    expect(afterReported(log([10, 1]), 10)).toEqual([]);
  });
});
