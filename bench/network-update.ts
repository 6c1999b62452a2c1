/**
 * Part `netupdate` (root): live network settings (issue 19). 3 hosts in namespaces with real agent
 * processes and the API as a child process (lab/world.ts), one container per host. Each round is
 * one `updateNetwork(dnsTtl)` with a TTL the network has not had yet; latency = from the change's
 * commit (its `committedAt`, read back from `projectChanges` after the run, as the convergence part
 * does) until the container on each host (1, 2, 3) is answered by its own host's DNS daemon with
 * the new TTL. "every host" is the slowest of the three for that round.
 *
 * The DNS probes are lab/probe.ts `dns-watch` (the convergence part's): one per container, asking
 * its gateway about every millisecond, one query in flight, and stamping the first answer that
 * carries the new TTL (epoch ms, µs resolution). Each round starts once the previous one was seen
 * on every host, after a short pause.
 *
 * `--netupdate-control` adds, each round, a new container on host 1 marked RUNNING and then removed,
 * each change timed the same way (its name answered, then gone, on every host): the container path
 * the convergence part measures, through the same probes in the same run, as a reference.
 * `--netupdate-baseline <rev>` (or `--baseline <rev>`) measures the same harness first against the
 * API and agents of another revision (bench/baseline.ts), then this tree, in one run. Agents run
 * with the production resync interval (30 s), as in the convergence part.
 * BENCH_NETUPDATE_TRACE=1 prints each round's per-host latencies, its revision, commit time and the
 * epoch ms each host answered (to line up with timestamps in the agents' logs), and the agents'
 * last log lines.
 * Everything (namespaces, processes, /etc/netns entries) is removed, even on failure.
 */
import { percentile } from '../src/feed/convergence.ts';
import { probeArgv } from '../lab/probes.ts';
import { baselineArg, baselineRoot, REPO_ROOT } from './baseline.ts';
import { benchWorld, commitTimes, DnsWatch, lines, now, within } from './convergence.ts';
import { type BenchRow, arg, rowsOf } from './table.ts';

const PAUSE_MS = 50; // between rounds: the previous round's reports and state writes are done
const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Per host (index 0 = host 1), the latency from each update's commit to its new TTL answered there. */
interface Measured {
  perHost: number[][];
  control: number[][]; // the same for container.running and container.removed (with --netupdate-control)
  rtt: number[];
}

async function measure(prefix: string, root: string, agentEnv: Record<string, string>, updates: number, withControl: boolean): Promise<Measured> {
  const world = benchWorld(prefix, root, agentEnv);
  try {
    await world.up(3);
    const { projectId, networkId, appId } = await world.project('ttl', ['web']);
    const { gateway, dnsTtl } = (await world.gql(`query($n: ID!) { network(id: $n) { gateway dnsTtl } }`, { n: networkId })).network;
    const containers = [];
    for (const host of [1, 2, 3]) containers.push(await world.runContainer(appId, 'web', host));
    await world.converged(networkId, 30_000);
    // every probe asks about the same name (host 1's container), each through its own host's daemon
    const target = containers[0];
    const watches = await Promise.all(
      containers.map(async (c) => {
        const child = world.spawnIn(c.ns, probeArgv('dns-watch', gateway));
        await new Promise<void>((ready) => lines(child, (l) => l === 'ready' && ready()));
        return new DnsWatch(child);
      }),
    );
    await Promise.all(watches.map((w) => within(w.until(target.hostname, target.ip, dnsTtl), 'the first answer')));

    type Round = { revision: number; seen: number[]; rtt: number };
    const rounds: Round[] = [];
    const control: Round[] = []; // container.running and container.removed, the same path's reference
    /** One mutation; resolves with its revision and when each watch saw `name` answer `ip` (TTL `ttl` when given). */
    const timed = async (mutation: string, variables: Record<string, unknown>, name: string, ip: string | null, ttl?: number): Promise<Round> => {
      const seen = watches.map((w) => w.until(name, ip, ttl));
      const s = now();
      const result = await world.gql<Record<string, { revision: number }>>(mutation, variables);
      const rtt = now() - s;
      const { revision } = Object.values(result)[0];
      return { revision, rtt, seen: await within(Promise.all(seen), `${mutation} ${JSON.stringify(variables)}`) };
    };
    const pause = () => new Promise((r) => setTimeout(r, PAUSE_MS));
    for (let i = 0; i < updates; i++) {
      const ttl = dnsTtl + 1 + i;
      rounds.push(
        await timed(
          `mutation($n: ID!, $t: Int!) { updateNetwork(input: {networkId: $n, dnsTtl: $t}) { revision } }`,
          { n: networkId, t: ttl },
          target.hostname,
          target.ip,
          ttl,
        ),
      );
      await pause();
      if (!withControl) continue;
      const c = await world.runContainer(appId, 'web', 1, { markRunning: false });
      await pause();
      control.push(await timed(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id }, c.hostname, c.ip));
      await pause();
      control.push(await timed(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.id }, c.hostname, null));
      await pause();
    }
    const committed = await commitTimes(world, projectId);
    const since = (list: Round[]) =>
      watches.map((_, h) =>
        list.map((r) => {
          const t = committed.get(r.revision);
          if (t === undefined) throw new Error(`no committedAt for revision ${r.revision}`);
          return r.seen[h] - t;
        }),
      );
    const perHost = since(rounds);
    if (process.env.BENCH_NETUPDATE_TRACE) {
      console.error(rounds.map((_, i) => perHost.map((l) => l[i].toFixed(1)).join('/')).join(' '));
      for (const r of rounds) console.error(`rev ${r.revision} committed ${committed.get(r.revision)} seen ${r.seen.map((t) => t.toFixed(1)).join(' ')}`);
      for (const h of world.hosts) console.error(h.agentLog.split('\n').slice(-30).join('\n'));
    }
    return { perHost, control: since(control), rtt: rounds.map((r) => r.rtt) };
  } finally {
    await world.destroy();
  }
}

/** Part `netupdate`. */
export async function benchNetworkUpdate(): Promise<BenchRow[]> {
  const updates = arg('netupdate-updates', 40);
  const baseline = baselineArg('netupdate');
  const withControl = process.argv.includes('--netupdate-control');
  const command = `npm run bench -- netupdate --netupdate-updates ${updates}${withControl ? ' --netupdate-control' : ''}${baseline ? ` --netupdate-baseline ${baseline}` : ''}  # root`;
  const rowOf = rowsOf('netupdate', command);
  const row = (metric: string, value: number, target = '–', anchor = ''): BenchRow => rowOf(metric, value, 'ms', target, anchor);
  if (process.getuid?.() !== 0) return [rowOf('skipped: needs root (network namespaces, wireguard-go)', Number.NaN, '', 'p99 ≤ 50 ms')];
  const production = { WEFT_RESYNC_MS: '30000' };
  const runs: [string, string][] = [];
  if (baseline) runs.push([`baseline ${baseline}`, await baselineRoot(baseline)]);
  runs.push(['this tree', REPO_ROOT]);
  const rows: BenchRow[] = [];
  for (const [i, [label, root]] of runs.entries()) {
    const m = await measure(i === 0 && baseline ? 'xu' : 'xt', root, production, updates, withControl);
    const p = (v: number[], q: number) => percentile(sorted(v), q) ?? Number.NaN;
    const every = m.perHost[0].map((_, r) => Math.max(...m.perHost.map((h) => h[r])));
    const hosts = m.perHost.map((h, n) => `host ${n + 1} ${fmt(p(h, 50))}/${fmt(p(h, 99))}`).join(', ');
    rows.push(
      row(`${label}: updateNetwork(dnsTtl) commit→new TTL answered on all 3 hosts, p50 (${every.length} updates)`, p(every, 50), '≤ 20 ms'),
      row(`${label}: … p99`, p(every, 99), '≤ 50 ms', `per host p50/p99: ${hosts}`),
      row(`${label}: mutation round trip, p50`, p(m.rtt, 50), '–', 'the commit happens within it'),
    );
    if (withControl) {
      const every = m.control[0].map((_, r) => Math.max(...m.control.map((h) => h[r])));
      const hosts = m.control.map((h, n) => `host ${n + 1} ${fmt(p(h, 50))}/${fmt(p(h, 99))}`).join(', ');
      rows.push(
        row(`${label}: reference, container RUNNING/removed commit→answered on all 3 hosts, p50 (${every.length} changes)`, p(every, 50), '≤ 20 ms'),
        row(`${label}: … p99, reference`, p(every, 99), '≤ 50 ms', `per host p50/p99: ${hosts}`),
      );
    }
  }
  return rows;
}
