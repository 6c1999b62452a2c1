/**
 * The scale bench's rows, from each step's result: latency, creation rate, API CPU per delivered
 * change and per commit, bytes per delivered change (data events alone; CURSOR events and
 * keep-alives apart; per change kind; first and last tenth of the burst) and the simulators' own
 * CPU. With a baseline, each metric's row of the current API is followed by the baseline's.
 */
import { percentile } from '../src/feed/convergence.ts';
import type { BurstResult } from './scale-burst.ts';
import { isData, type Tally, tallySince, totalOf } from './sse-frames.ts';
import type { BenchRow } from './table.ts';

export interface StepResult extends BurstResult {
  agents: number;
  full: number;
  idleCores: number;
  rss: { now: number; peak: number };
  note: string;
}

/** A step that did not finish, with why. */
export type Failed = { agents: number; failed: string };

const p = (xs: number[], q: number) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    q,
  ) ?? Number.NaN;
const perChange = (t: Tally, pick: (k: string) => boolean, changes: number) => totalOf(t, pick).bytes / Math.max(1, changes);
const fmtInt = (v: number) => Math.round(v).toLocaleString('en');

/** The median of a list (the mean of the middle two when it is even), and its least and greatest. */
export function spread(xs: readonly number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

/** Creations per second of a step's burst. */
export const creationRate = (r: Pick<StepResult, 'creates' | 'burstS'>): number => r.creates / r.burstS;

/** Bytes and frames per delivered change of each kind of frame, largest first: "change:container.created 498 B ×…". */
export function breakdown(t: Tally): string {
  const changes = totalOf(t, isData).frames;
  return Object.entries(t)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([k, v]) => `${k} ${fmtInt(v.bytes / v.frames)} B × ${(v.frames / Math.max(1, changes)).toFixed(2)}/change`)
    .join('; ');
}

/**
 * Rows of one result (one step, one API). `first` is the same API's smallest step with hosts
 * watching, for ratios; `zero` its step with none (`--scale-agents 0,…`), whose CPU per commit is
 * the commit's own cost, so that the CPU of delivering can be told apart.
 */
function rowsOf(r: StepResult, first: StepResult, zero: StepResult | undefined, burst: number): [string, number, string, string, string][] {
  if (r.agents === 0)
    return [
      ['creations/s sustained over GraphQL, 16 in flight, no host watching', creationRate(r), '/s', '–', 'the API without streams'],
      ['API CPU per commit, no host watching', (r.apiCpu * 1e6) / Math.max(1, r.creates), 'µs', '–', 'the commit alone: GraphQL, auth, transaction'],
    ];
  const all = r.samples.map((s) => s.ms);
  const early = r.samples.filter((s) => s.committed <= r.tEarly).map((s) => s.ms);
  const late = r.samples.filter((s) => s.committed >= r.tLate).map((s) => s.ms);
  const big = r.agents >= 1000;
  const t = tallySince(r.tallies.end, r.tallies.start);
  const tEarly = tallySince(r.tallies.early, r.tallies.start);
  const tLate = tallySince(r.tallies.burstEnd, r.tallies.late);
  const earlyS = (r.at.early - r.at.start) / 1000;
  const lateS = (r.at.burstEnd - r.at.late) / 1000;
  const commitsIn = (from: number, to: number) => r.commitTimes.filter((c) => c > from && c <= to).length;
  const streams = r.agents - r.full;
  const changes = totalOf(t, isData).frames;
  const delivered = changes + r.fullDelivered;
  const rate = creationRate(r);
  const firstRate = creationRate(first);
  const firstT = tallySince(first.tallies.end, first.tallies.start);
  const perEvent = (x: StepResult, tx: Tally) => (x.apiCpu * 1e6) / Math.max(1, totalOf(tx, isData).frames + x.fullDelivered);
  const cpuPerEvent = perEvent(r, t);
  const commitCost = zero ? zero.apiCpu / Math.max(1, zero.creates) : Number.NaN;
  const aboveCommits = (x: StepResult, tx: Tally) => ((x.apiCpu - x.creates * commitCost) * 1e6) / Math.max(1, totalOf(tx, isData).frames + x.fullDelivered);
  const any = () => true;
  const cursor = (k: string) => k === 'cursor';
  const keepalive = (k: string) => k === 'keepalive';
  const fullAll = r.fullSamples.map((s) => s.ms);
  const cut = r.creates < burst ? ` (cut at ${r.creates} of ${burst})` : '';
  return [
    [
      `commit→applied p50, raw consumers (burst of ${r.creates} creations${cut})`,
      p(all, 50),
      'ms',
      '–',
      `${fmtInt(all.length)} samples; ${r.lists} lists, ${r.reconnects} reconnects, ${r.reports} reports${r.note ? `; ${r.note}` : ''}`,
    ],
    ['commit→applied p99, raw consumers', p(all, 99), 'ms', big ? '≤ 500 ms' : '–', 'issue 17 today: 341 ms at 100, 6.75 s at 1,000 (full sim agents)'],
    ['commit→applied p99, first 10% of the burst → last 10%', p(early, 99), `ms → ${fmtInt(p(late, 99))} ms`, '–', 'growth as networks fill'],
    [
      `commit→applied p99, ${r.full} full simulated agents (follower + reconciler + FakeHost)`,
      p(fullAll, 99),
      `ms (p50 ${fmtInt(p(fullAll, 50))} ms)`,
      '–',
      'a check that the full path keeps up',
    ],
    [
      'creations/s sustained over GraphQL, 16 in flight',
      rate,
      '/s',
      r === first ? '–' : `≥ ${fmtInt(0.8 * firstRate)}/s (80% of ${first.agents} hosts)`,
      `issue 17 today: 132/s at 100, 12/s at 1,000; ${(rate / firstRate).toFixed(2)}× the ${first.agents}-host rate`,
    ],
    [
      'API CPU per delivered change event',
      cpuPerEvent,
      'µs',
      r === first ? '–' : `≤ ${fmtInt(1.5 * perEvent(first, firstT))} µs (1.5× ${first.agents} hosts)`,
      `${fmtInt(delivered)} change events delivered, ${(delivered / Math.max(1, r.creates)).toFixed(1)} per commit; ${(cpuPerEvent / perEvent(first, firstT)).toFixed(2)}× the ${first.agents}-host value`,
    ],
    ...(zero
      ? [
          [
            'API CPU per delivered change event, above the commit cost',
            aboveCommits(r, t),
            'µs',
            r === first ? '–' : `≤ ${fmtInt(1.5 * aboveCommits(first, firstT))} µs (1.5× ${first.agents} hosts)`,
            `(API CPU − creations × ${fmtInt(commitCost * 1e6)} µs, the 0-host step's CPU per commit) ÷ change events delivered`,
          ] as [string, number, string, string, string],
        ]
      : []),
    [
      'API CPU per commit',
      (r.apiCpu * 1e6) / Math.max(1, r.creates),
      'µs',
      '–',
      `${r.apiCpu.toFixed(1)} s over burst + drain (${(r.apiCpu / r.wallS).toFixed(2)} cores); ${(r.apiCpu / Math.max(1, r.creates) / (first.apiCpu / Math.max(1, first.creates))).toFixed(2)}× the ${first.agents}-host value`,
    ],
    [`API CPU idle, ${r.agents} streams open, nothing committed`, r.idleCores, 'cores', '–', 'polling and keep-alives'],
    ['API RSS after the burst', r.rss.now, `MiB (peak ${fmtInt(r.rss.peak)})`, '–', ''],
    [
      'SSE bytes per delivered change, data events alone',
      perChange(t, isData, changes),
      'B',
      '≤ 512 B',
      `first 10% → last 10%: ${fmtInt(perChange(tEarly, isData, totalOf(tEarly, isData).frames))} → ${fmtInt(perChange(tLate, isData, totalOf(tLate, isData).frames))} B`,
    ],
    [
      'SSE bytes per delivered change, CURSOR events (counted apart)',
      perChange(t, cursor, changes),
      'B',
      '–',
      `${(totalOf(t, cursor).frames / Math.max(1, changes)).toFixed(2)} CURSOR per change; first 10% → last 10%: ${fmtInt(perChange(tEarly, cursor, totalOf(tEarly, isData).frames))} → ${fmtInt(perChange(tLate, cursor, totalOf(tLate, isData).frames))} B`,
    ],
    [
      'SSE bytes per delivered change, keep-alives (counted apart)',
      perChange(t, keepalive, changes),
      'B',
      '–',
      `${fmtInt(totalOf(t, keepalive).frames)} keep-alives`,
    ],
    [
      'SSE bytes per delivered change, everything (data + CURSOR + keep-alive), first 10% → last 10%',
      perChange(tEarly, any, totalOf(tEarly, isData).frames),
      `B → ${fmtInt(perChange(tLate, any, totalOf(tLate, isData).frames))} B`,
      '–',
      `whole burst ${fmtInt(perChange(t, any, changes))} B; issue 17 today: 666 B at 100, 881 → 1,365 B at 1,000`,
    ],
    ['SSE frames by kind, whole burst', totalOf(t, any).frames, 'frames', '–', breakdown(t)],
    [
      'creations/s, first 10% of the burst → last 10%',
      commitsIn(r.at.start, r.at.early) / earlyS,
      `/s → ${(commitsIn(r.at.late, r.at.burstEnd) / lateS).toFixed(1)}/s`,
      '–',
      `windows of ${earlyS.toFixed(1)} s and ${lateS.toFixed(1)} s`,
    ],
    [
      'CURSOR events per open stream per second, first 10% of the burst → last 10%',
      totalOf(tEarly, cursor).frames / streams / earlyS,
      `/s → ${(totalOf(tLate, cursor).frames / streams / lateS).toFixed(2)}/s`,
      '–',
      `raw consumers' streams; data events per stream per second ${(totalOf(tEarly, isData).frames / streams / earlyS).toFixed(2)} → ${(totalOf(tLate, isData).frames / streams / lateS).toFixed(2)}`,
    ],
    [
      `simulators' CPU: raw consumers (${r.agents - r.full} hosts) / bench driver (load + ${r.full} full agents)`,
      r.consumerCpu / r.wallS,
      `cores / ${(r.driverCpu / r.wallS).toFixed(2)} cores`,
      '< 1 core each (not the limit)',
      `${r.consumerCpu.toFixed(1)} s / ${r.driverCpu.toFixed(1)} s over ${r.wallS.toFixed(1)} s`,
    ],
  ];
}

/** All rows: per step, each metric of the current API then of each baseline (`labels[i]`). */
export function stepRows(results: (StepResult | Failed)[][], labels: string[], command: string, burst: number): BenchRow[] {
  const rows: BenchRow[] = [];
  const steps = results[0].length;
  for (let s = 0; s < steps; s++) {
    const per = results.map((list) => {
      const r = list[s];
      if ('failed' in r) return null;
      const ok = list.filter((x): x is StepResult => !('failed' in x));
      const first = ok.find((x) => x.agents > 0) ?? r;
      return rowsOf(
        r,
        first,
        ok.find((x) => x.agents === 0),
        burst,
      );
    });
    const n = results[0][s].agents;
    results.forEach((list, i) => {
      const r = list[s];
      if ('failed' in r) rows.push(row(n, `not reached${labels[i]} (${r.failed})`, Number.NaN, '', n >= 1000 ? 'p99 ≤ 500 ms' : '–', '', command));
    });
    const metrics = per.find((x) => x)?.length ?? 0;
    for (let m = 0; m < metrics; m++)
      per.forEach((list, i) => {
        if (!list) return;
        const [metric, value, unit, target, anchor] = list[m];
        rows.push(row(n, `${metric}${labels[i]}`, value, unit, target, anchor, command));
      });
  }
  return rows;
}

const row = (n: number, metric: string, value: number, unit: string, target: string, anchor: string, command: string): BenchRow => ({
  part: 'scale',
  metric: `${n} hosts: ${metric}`,
  value,
  unit,
  target,
  anchor,
  command,
});

const list = (xs: number[], digits: number) => xs.map((x) => x.toFixed(digits)).join(', ');

/**
 * Rows over several rounds of the same steps (`--scale-rounds`, `rounds[round][api][step]`). On this
 * VM one run's creation rate moves by up to a quarter from one run to the next, so the ratio read
 * from a single run can fall on either side of its goal. For each API: each step's creations/s as the
 * median of the rounds, with every round's value, then the largest step's rate over the smallest
 * watching step's, per round and their median, against the goal (≥ 0.8×). A failed step leaves its
 * round out.
 */
export function roundRows(rounds: (StepResult | Failed)[][][], labels: string[], command: string): BenchRow[] {
  const rows: BenchRow[] = [];
  labels.forEach((label, api) => {
    const steps = rounds[0][api].map((r) => r.agents);
    const ratesOf = (step: number) => rounds.map((round) => round[api][step]).flatMap((r) => ('failed' in r ? [] : [creationRate(r)]));
    steps.forEach((agents, step) => {
      const rates = ratesOf(step);
      if (!rates.length) return;
      const { median, min, max } = spread(rates);
      rows.push(
        row(
          agents,
          `creations/s, median of ${rates.length} rounds${label}`,
          median,
          '/s',
          '–',
          `rounds: ${list(rates, 0)} (${min.toFixed(0)}–${max.toFixed(0)})`,
          command,
        ),
      );
    });
    const first = steps.findIndex((a) => a > 0);
    const last = steps.length - 1;
    if (first < 0 || first === last) return;
    const ratios = rounds.flatMap((round) => {
      const [a, b] = [round[api][first], round[api][last]];
      return 'failed' in a || 'failed' in b ? [] : [creationRate(b) / creationRate(a)];
    });
    if (!ratios.length) return;
    const { median, min, max } = spread(ratios);
    rows.push(
      row(
        steps[last],
        `creations/s ÷ the ${steps[first]}-host rate, median of ${ratios.length} rounds${label}`,
        median,
        '×',
        '≥ 0.8×',
        `rounds: ${list(ratios, 2)} (${min.toFixed(2)}–${max.toFixed(2)}); each round ran both steps back to back`,
        command,
      ),
    );
  });
  return rows;
}
