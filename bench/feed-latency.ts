/**
 * Commit-to-delivery latency of the change feed: a graphql-sse subscriber (the agent's client)
 * receives container changes committed through the API; latency = receipt time − the change's
 * commit timestamp. Measured with the subscriber on the same API process as the writer (in-process
 * wake-up) and on a second API process over the same database file (polling floor FEED_POLL_MS).
 *
 *   npx tsx bench/feed-latency.ts [--changes 200] [--poll-ms 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiClient } from '../agent/api/client.ts';
import { percentile } from '../src/feed/convergence.ts';
import { type ApiServer, startApiServer } from '../test/support/api.ts';
import { type BenchRow, arg } from './table.ts';

/** Commits `changes` containers through `writer` and times their arrival at a subscriber of `readerUrl`. */
async function measure(writer: ApiServer, readerUrl: string, changes: number): Promise<number[]> {
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
  const client = createApiClient(readerUrl, h.registerHost.agentToken);
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

export async function benchFeedLatency(): Promise<BenchRow[]> {
  const changes = arg('changes', 200);
  const pollMs = arg('poll-ms', 1000);
  const command = `npx tsx bench/feed-latency.ts --changes ${changes} --poll-ms ${pollMs}`;
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-feed-'));
  const env = { DATABASE_URL: `file:${join(dir, 'weft.db')}`, AUTH_HS256_SECRET: 'b'.repeat(32), FEED_POLL_MS: String(pollMs) };
  const one = await startApiServer(env);
  const two = await startApiServer(env);
  try {
    const same = await measure(one, one.url, changes);
    const cross = await measure(one, two.url, changes);
    return [
      {
        part: 'feed',
        metric: 'commit→delivery p50, one API process',
        value: percentile(same, 50)!,
        unit: 'ms',
        target: '–',
        anchor: 'in-process wake-up',
        command,
      },
      { part: 'feed', metric: 'commit→delivery p99, one API process', value: percentile(same, 99)!, unit: 'ms', target: '–', anchor: '', command },
      {
        part: 'feed',
        metric: 'commit→delivery p50, second API server (own hub) on the same file',
        value: percentile(cross, 50)!,
        unit: 'ms',
        target: `≤ FEED_POLL_MS (${pollMs})`,
        anchor: 'polling floor',
        command,
      },
      {
        part: 'feed',
        metric: 'commit→delivery p99, second API server (own hub) on the same file',
        value: percentile(cross, 99)!,
        unit: 'ms',
        target: `≤ FEED_POLL_MS (${pollMs}) + read`,
        anchor: '',
        command,
      },
    ];
  } finally {
    await one.close();
    await two.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { toMarkdown } = await import('./table.ts');
  console.log(toMarkdown(await benchFeedLatency()));
  process.exit(0);
}
