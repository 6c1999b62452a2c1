/**
 * Benchmark rows and their Markdown rendering. Every row carries the command that produced it.
 */
export interface BenchRow {
  part: string;
  metric: string;
  value: number;
  unit: string;
  target: string;
  anchor: string;
  command: string;
}

/** A row builder for one part and command: `row(metric, value, unit, target, anchor)`. */
export function rowsOf(part: string, command: string) {
  return (metric: string, value: number, unit: string, target = '–', anchor = ''): BenchRow => ({ part, metric, value, unit, target, anchor, command });
}

/** A numeric `--name value` argument. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(v >= 10 ? 1 : 2));

/** The results as a Markdown table. */
export function toMarkdown(rows: BenchRow[]): string {
  const lines = ['| part | metric | measured | target | anchor | command |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.part} | ${r.metric} | ${fmt(r.value)} ${r.unit} | ${r.target} | ${r.anchor} | \`${r.command}\` |`);
  return lines.join('\n');
}
