/**
 * The convergence view's model: per member host, the applied revision against the head and the changes
 * still pending (a host behind is flagged), and the p50/p99 commit→applied history the console samples
 * each time it reads the network, drawn as two SVG polylines.
 */
import type { ConvergenceResult } from '../api/types.ts';

export interface ConvergenceRow {
  hostId: string;
  host: string;
  applied: number;
  head: number;
  /** "3", or "outside the retained window" for -1. */
  pending: string;
  behind: boolean;
  health: string;
}

export function convergenceRows(c: ConvergenceResult): ConvergenceRow[] {
  return c.hosts.map((h) => ({
    hostId: h.hostId,
    host: h.hostName,
    applied: h.appliedRevision,
    head: c.headRevision,
    pending: h.pendingChanges < 0 ? 'outside the retained window' : String(h.pendingChanges),
    behind: h.pendingChanges !== 0,
    health: h.healthy === null ? 'no report' : h.healthy ? 'healthy' : `unhealthy${h.message ? `: ${h.message}` : ''}`,
  }));
}

export interface LatencySample {
  at: number;
  p50: number | null;
  p99: number | null;
}

/** Appends a sample, keeping the last `keep`; a reading equal to the previous one at the same time is not repeated. */
export function addSample(samples: LatencySample[], next: LatencySample, keep = 60): LatencySample[] {
  const last = samples.at(-1);
  if (last && last.at === next.at) return samples;
  return [...samples, next].slice(-keep);
}

/** SVG polyline points for p50 and p99 over a width × height box; the y scale is the largest p99 (at least 1 ms). */
export function latencyChart(samples: LatencySample[], width: number, height: number): { p50: string; p99: string; maxMs: number } {
  const values = samples.flatMap((s) => [s.p50 ?? 0, s.p99 ?? 0]);
  const maxMs = Math.max(1, ...values);
  const x = (i: number) => (samples.length <= 1 ? width : (i / (samples.length - 1)) * width);
  const y = (v: number) => height - (v / maxMs) * height;
  const line = (pick: (s: LatencySample) => number | null) =>
    samples
      .map((s, i) => [i, pick(s)] as const)
      .filter(([, v]) => v !== null)
      .map(([i, v]) => `${round(x(i))},${round(y(v as number))}`)
      .join(' ');
  return { p50: line((s) => s.p50), p99: line((s) => s.p99), maxMs };
}

const round = (n: number) => Math.round(n * 10) / 10;
