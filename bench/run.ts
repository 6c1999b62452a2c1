/**
 * `npm run bench [-- part …]`: runs the named benchmark parts (all by default), prints one Markdown
 * table with the command behind each row, and writes it with JSON to bench/results/ (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchApiThroughput } from './api-throughput.ts';
import { benchFeedLatency } from './feed-latency.ts';
import { benchAgent } from './agent-apply.ts';
import { benchCni } from './cni.ts';
import { benchConvergence } from './convergence.ts';
import { benchCross } from './cross-process.ts';
import { benchDataplane } from './dataplane.ts';
import { benchDns } from './dns.ts';
import { benchEdge } from './edge.ts';
import { benchFleet } from './fleet.ts';
import { benchNetworkUpdate } from './network-update.ts';
import { benchPolicy } from './policy.ts';
import { benchScale } from './scale.ts';
import { type BenchRow, toMarkdown } from './table.ts';

const parts: Record<string, () => Promise<BenchRow[]>> = {
  api: benchApiThroughput,
  edge: benchEdge,
  feed: benchFeedLatency,
  cross: benchCross,
  convergence: benchConvergence,
  netupdate: benchNetworkUpdate,
  scale: benchScale,
  agent: benchAgent,
  dns: benchDns,
  dataplane: benchDataplane,
  cni: benchCni,
  fleet: benchFleet,
  policy: benchPolicy,
};

// part names are the bare words; `--name value` pairs are options of the parts (a value may be a
// number list or a git revision: `--scale-baseline f4a352f`), and a flag without a value may be
// followed by a part
const asked = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1]?.startsWith('--') && (/^[\d.,]+$/.test(a) || !parts[a])));
const unknown = asked.filter((a) => !parts[a]);
if (unknown.length) {
  console.error(`unknown part(s): ${unknown.join(', ')}; known: ${Object.keys(parts).join(', ')}`);
  process.exit(2);
}
const rows: BenchRow[] = [];
for (const name of asked.length ? asked : Object.keys(parts)) {
  console.error(`bench: running ${name} …`);
  rows.push(...(await parts[name]()));
}
const table = toMarkdown(rows);
console.log(table);
const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(join(dir, `${stamp}.md`), `${table}\n`);
writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(rows, null, 2));
process.exit(0);
