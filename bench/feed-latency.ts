/**
 * Commit-to-delivery latency of the change feed: a graphql-sse subscriber (the agent's client)
 * receives container changes committed through the API; latency = receipt time − the change's
 * commit timestamp. Measured with the subscriber on the same API process as the writer (in-process
 * wake-up) and on a second API process over the same database file (polling floor FEED_POLL_MS).
 * Both servers run in this process (test/support/api.ts `startApiServer`); part `cross`
 * (bench/cross-process.ts) measures the second case with two API processes.
 *
 * --feed-baseline <rev> (or --baseline <rev>) also measures the servers of that revision
 * (bench/baseline.ts, loaded beside this checkout's in the same process); its rows follow.
 *
 *   npx tsx bench/feed-latency.ts [--changes 200] [--poll-ms 1000] [--feed-baseline f4a352f]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { createApiClient } from '../agent/api/client.ts';
import { percentile } from '../src/feed/convergence.ts';
import type { ApiServer } from '../test/support/api.ts';
import { agentClientOf, baselineArg, baselineLabel, baselineRoot, REPO_ROOT, resolveRevision } from './baseline.ts';
import { type BenchRow, arg } from './table.ts';

/** Commits `changes` containers through `writer` and times their arrival at a subscriber of `readerUrl`. */
async function measure(writer: ApiServer, readerUrl: string, changes: number, makeClient: typeof createApiClient): Promise<number[]> {
  const gql = writer.ok;
  const tag = Math.random().toString(36).slice(2, 8);
  const p = await gql(`mutation($n: String!) { createProject(input: { name: $n, cidr: "10.9.0.0/16" }) { project { id } } }`, { n: `bench-${tag}` });
  const a = await gql(`mutation($p: ID!) { createApplication(input: { projectId: $p, name: "a" }) { application { id } } }`, { p: p.createProject.project.id });
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 7 + tag.charCodeAt(0)) & 255)).toString('base64');
  const h = await gql(
    `mutation($n: String!, $k: String!) { registerHost(input: { name: $n, endpoint: "192.0.2.1:51820", publicKey: $k }) { host { id } agentToken } }`,
    { n: `h-${tag}`, k: key },
  );
  const hostId = h.registerHost.host.id;
  const appId = a.createApplication.application.id;
  await gql(`mutation($a: ID!, $h: ID!) { createContainer(input: { applicationId: $a, processType: "web", hostId: $h }) { revision } }`, {
    a: appId,
    h: hostId,
  });
  const client = makeClient(readerUrl, h.registerHost.agentToken);
  const snap = await client.hostConfig(hostId);
  const controller = new AbortController();
  const latencies: number[] = [];
  const reading = (async () => {
    for await (const event of client.watch(hostId, snap.revision, controller.signal)) {
      if (event.type === 'CHANGE' && event.change) {
        const committed = Date.parse(event.change.committedAt);
        latencies.push(Date.now() - committed);
        if (latencies.length >= changes) break;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < changes; i++) {
    await gql(`mutation($a: ID!, $h: ID!) { createContainer(input: { applicationId: $a, processType: "web", hostId: $h }) { revision } }`, {
      a: appId,
      h: hostId,
    });
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20)); // spread commits across the polling interval
  }
  await reading;
  controller.abort();
  return latencies.sort((x, y) => x - y);
}

/** The four rows with the API servers of `root`. */
async function rowsOf(root: string, label: string, changes: number, pollMs: number, command: string): Promise<BenchRow[]> {
  const { startApiServer } = (await import(pathToFileURL(join(root, 'test/support/api.ts')).href)) as {
    startApiServer: (env: Record<string, string>) => Promise<ApiServer>;
  };
  const makeClient = await agentClientOf(root);
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-feed-'));
  const env = { DATABASE_URL: `file:${join(dir, 'weft.db')}`, AUTH_HS256_SECRET: 'b'.repeat(32), FEED_POLL_MS: String(pollMs) };
  const one = await startApiServer(env);
  const two = await startApiServer(env);
  try {
    const same = await measure(one, one.url, changes, makeClient);
    const cross = await measure(one, two.url, changes, makeClient);
    const row = (metric: string, value: number, target = '–', anchor = ''): BenchRow => ({
      part: 'feed',
      metric: `${metric}${label}`,
      value,
      unit: 'ms',
      target,
      anchor,
      command,
    });
    return [
      row('commit→delivery p50, one API process', percentile(same, 50)!, '–', 'in-process wake-up'),
      row('commit→delivery p99, one API process', percentile(same, 99)!),
      row('commit→delivery p50, second API server (own hub) on the same file', percentile(cross, 50)!, '–', `FEED_POLL_MS ${pollMs} before issue 17`),
      row('commit→delivery p99, second API server (own hub) on the same file', percentile(cross, 99)!, '≤ 100 ms', 'issue 17: cross-process delivery'),
    ];
  } finally {
    await one.close();
    await two.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFeedLatency(): Promise<BenchRow[]> {
  const changes = arg('changes', 200);
  const pollMs = arg('poll-ms', 1000);
  const baseRev = baselineArg('feed');
  const command = `npx tsx bench/feed-latency.ts --changes ${changes} --poll-ms ${pollMs}${baseRev ? ` --feed-baseline ${baseRev}` : ''}`;
  const now = await rowsOf(REPO_ROOT, '', changes, pollMs, command);
  if (!baseRev) return now;
  const before = await rowsOf(await baselineRoot(baseRev), ` ${baselineLabel(await resolveRevision(baseRev))}`, changes, pollMs, command);
  return now.flatMap((r, i) => [r, before[i]]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { toMarkdown } = await import('./table.ts');
  console.log(toMarkdown(await benchFeedLatency()));
  process.exit(0);
}
