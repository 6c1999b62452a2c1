/**
 * Part `cross`: two API processes over one database file (embedded libSQL, as two replicas of the
 * API would share it), each a child process (bench/api-process.ts). Changes are committed through
 * process A and watched through process B with the agent's own client (agent/api/client.ts), so
 * commit → delivered is what crosses processes: with a per-process wake-up only, it is bounded by
 * B's polling (FEED_POLL_MS). Measured with no other stream open on B, then with
 * --cross-idle-streams (1,000) idle host streams open on B (raw consumers, bench/consumers.ts, in
 * their own process). The idle CPU of B is read over --cross-idle-seconds (30) with 0 and with
 * those streams open and nothing committed: the price of polling per stream or per process.
 *
 *   npm run bench -- cross [--cross-changes 200] [--cross-idle-streams 1000] [--cross-idle-seconds 30] [--cross-baseline f4a352f]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { createApiClient } from '../agent/api/client.ts';
import { percentile } from '../src/feed/convergence.ts';
import { type BenchApi, gql, startBenchApi } from './api-process.ts';
import { agentClientOf, baselineArg, consumerDialect, baselineLabel, baselineRoot, REPO_ROOT, resolveRevision } from './baseline.ts';
import { startConsumerFleet } from './consumers.ts';
import { type BenchRow, arg } from './table.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CREATE = `mutation($a: ID!, $h: ID!) { createContainer(input: { applicationId: $a, processType: "web", hostId: $h }) { revision } }`;
const REGISTER = `mutation($n: String!, $e: String!, $k: String!) { registerHost(input: { name: $n, endpoint: $e, publicKey: $k }) { host { id } agentToken } }`;

const keyOf = (i: number) => Buffer.from(Array.from({ length: 32 }, (_, b) => (b < 4 ? (i >> (8 * b)) & 255 : 7))).toString('base64');

/** Registers `count` hosts through `api`, 16 at a time, and places one container of `appId` on each (none without). */
async function registerHosts(api: BenchApi, appId: string | null, count: number, from: number) {
  const hosts: { hostId: string; token: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = from + next++;
        const r = await gql(api.url, api.admin, REGISTER, { n: `x-${i}`, e: `192.0.2.2:${10000 + i}`, k: keyOf(i + 1) });
        if (appId) await gql(api.url, api.admin, CREATE, { a: appId, h: r.registerHost.host.id });
        hosts.push({ hostId: r.registerHost.host.id, token: r.registerHost.agentToken });
      }
    }),
  );
  return hosts;
}

/** Commits `changes` creations through `writer` and times their arrival at `host`'s watch on `readerUrl`. */
async function commitToDelivered(
  writer: BenchApi,
  readerUrl: string,
  appId: string,
  host: { hostId: string; token: string },
  changes: number,
  makeClient: typeof createApiClient,
) {
  const client = makeClient(readerUrl, host.token);
  const snap = await client.hostConfig(host.hostId);
  const controller = new AbortController();
  const latencies: number[] = [];
  const reading = (async () => {
    for await (const event of client.watch(host.hostId, snap.revision, controller.signal)) {
      if (event.type === 'CHANGE' && event.change?.kind === 'container.created') {
        latencies.push(Date.now() - Date.parse(event.change.committedAt));
        if (latencies.length >= changes) break;
      }
    }
  })();
  await sleep(500);
  for (let i = 0; i < changes; i++) {
    await gql(writer.url, writer.admin, CREATE, { a: appId, h: host.hostId });
    await sleep(5 + Math.random() * 20); // spread commits across any polling interval
  }
  await Promise.race([reading, sleep(30_000)]);
  controller.abort();
  return latencies.sort((x, y) => x - y);
}

async function cpuOver(api: BenchApi, seconds: number) {
  const c0 = api.cpuSeconds();
  await sleep(seconds * 1000);
  return (api.cpuSeconds() - c0) / seconds;
}

interface CrossResult {
  quiet: number[];
  busy: number[];
  idle0: number;
  idleN: number;
  idleNWriter: number;
  consumerCores: number;
}

async function measure(root: string, changes: number, streams: number, idleSeconds: number): Promise<CrossResult> {
  const makeClient = await agentClientOf(root);
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-cross-'));
  const env = { DATABASE_URL: `file:${join(dir, 'weft.db')}` };
  const a = await startBenchApi(env, undefined, root); // migrates the file first; B then finds it ready
  let b: BenchApi | null = null;
  let fleet: ReturnType<typeof startConsumerFleet> | null = null;
  try {
    b = await startBenchApi(env, undefined, root);
    const p = await gql(a.url, a.admin, `mutation { createProject(input: { name: "cross", cidr: "10.8.0.0/16" }) { project { id } } }`);
    const app = await gql(a.url, a.admin, `mutation($p: ID!) { createApplication(input: { projectId: $p, name: "a" }) { application { id } } }`, {
      p: p.createProject.project.id,
    });
    const appId = app.createApplication.application.id;
    const [watcher] = await registerHosts(a, appId, 1, 0);
    await sleep(1000);
    const idle0 = await cpuOver(b, idleSeconds);
    const quiet = await commitToDelivered(a, b.url, appId, watcher, changes, makeClient);
    // idle streams: hosts without containers, so that no commit concerns them
    const idleHosts = streams ? await registerHosts(a, null, streams, 1) : [];
    fleet = startConsumerFleet(b.url, idleHosts, { procs: 1, reportDebounceMs: 50, heartbeatMs: 0, ...consumerDialect(root) });
    if (streams) await fleet.ready(120_000);
    await sleep(2000);
    const c0 = fleet.cpuSeconds();
    const a0 = a.cpuSeconds();
    const idleN = await cpuOver(b, idleSeconds);
    const idleNWriter = (a.cpuSeconds() - a0) / idleSeconds;
    const consumerCores = (fleet.cpuSeconds() - c0) / idleSeconds;
    const busy = await commitToDelivered(a, b.url, appId, watcher, changes, makeClient);
    return { quiet, busy, idle0, idleN, idleNWriter, consumerCores };
  } finally {
    await fleet?.stop();
    await b?.stop();
    await a.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchCross(): Promise<BenchRow[]> {
  const changes = arg('cross-changes', 200);
  const streams = arg('cross-idle-streams', 1000);
  const idleSeconds = arg('cross-idle-seconds', 30);
  const baseRev = baselineArg('cross');
  const command =
    `npm run bench -- cross --cross-changes ${changes} --cross-idle-streams ${streams} --cross-idle-seconds ${idleSeconds}` +
    (baseRev ? ` --cross-baseline ${baseRev}` : '');
  const roots = [{ label: '', root: REPO_ROOT }];
  if (baseRev) roots.push({ label: ` ${baselineLabel(await resolveRevision(baseRev))}`, root: await baselineRoot(baseRev) });
  const results: CrossResult[] = [];
  for (const r of roots) {
    console.error(`bench cross: two API processes over one file${r.label} …`);
    results.push(await measure(r.root, changes, streams, idleSeconds));
  }
  const rows: BenchRow[] = [];
  const row = (metric: string, value: number, unit: string, target = '–', anchor = '') => ({ part: 'cross', metric, value, unit, target, anchor, command });
  const each = (make: (r: CrossResult, label: string) => BenchRow) => results.forEach((r, i) => rows.push(make(r, roots[i].label)));
  const pct = (xs: number[], q: number) => percentile(xs, q) ?? Number.NaN;
  each((r, l) => row(`commit via A → delivered via B, p50${l}`, pct(r.quiet, 50), 'ms', '–', `${r.quiet.length} of ${changes} delivered`));
  each((r, l) => row(`commit via A → delivered via B, p99${l}`, pct(r.quiet, 99), 'ms', '≤ 100 ms', 'FEED_POLL_MS 1,000 ms before the watch cache'));
  each((r, l) =>
    row(
      `commit via A → delivered via B, p99, ${streams} idle streams open on B${l}`,
      pct(r.busy, 99),
      `ms (p50 ${Math.round(pct(r.busy, 50))} ms)`,
      '≤ 100 ms',
    ),
  );
  each((r, l) => row(`API B idle CPU, no stream open${l}`, r.idle0, 'cores', '–', `over ${idleSeconds} s, nothing committed`));
  each((r, l) =>
    row(
      `API B idle CPU, ${streams} idle streams open${l}`,
      r.idleN,
      'cores',
      '–',
      `over ${idleSeconds} s, nothing committed; A (no stream) ${r.idleNWriter.toFixed(3)} cores; the consumers ${r.consumerCores.toFixed(3)} cores`,
    ),
  );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { toMarkdown } = await import('./table.ts');
  console.log(toMarkdown(await benchCross()));
  process.exit(0);
}
