/**
 * Part `policy` (root, issue 20): the time from `setNetworkPolicy` to enforcement on every host.
 * 3 hosts with real agents (lab/world.ts, prefix `xp`) and the API in a process of its own; proxy, backend and worker on one host each;
 * the ModSecurity rules. A first write creates the policy (every host creates its table; its own
 * row), then the policy is switched ENFORCE ↔ AUDIT `--policy-writes` times (each write patches
 * every host's policy table) and, once, a new proxy container is added (its address
 * enters every host's source sets). Each time is from sending the mutation until the kernel of
 * every host notified the change (`nft monitor` in each sandbox, lab/policy-watch.ts), and again
 * from the change's commit (`committedAt`, as part `convergence` measures). Agents run
 * with the production resync interval (30 s), as in part `convergence`.
 * `--policy-baseline <rev>` (or `--baseline <rev>`) first runs the same harness against that
 * revision's API and agents (bench/baseline.ts, lab prefix `xq`), then this tree: before/after in one run.
 * Everything the lab made is removed, even on failure.
 */
import { PolicyWatch, stamp } from '../lab/policy-watch.ts';
import { World } from '../lab/world.ts';
import { percentile } from '../src/feed/convergence.ts';
import { baselineArg, baselineLabel, baselineRoot, REPO_ROOT, resolveRevision } from './baseline.ts';
import { arg, type BenchRow, rowsOf } from './table.ts';

const SCALE_CONTAINERS = 5;
const SET = `mutation($i: SetNetworkPolicyInput!) { setNetworkPolicy(input: $i) { revision } }`;

export async function benchPolicy(): Promise<BenchRow[]> {
  const writes = arg('policy-writes', 20);
  const baseline = baselineArg('policy'); // --policy-baseline, or --baseline for every part
  const row = rowsOf('policy', `npm run bench -- policy --policy-writes ${writes}${baseline ? ` --policy-baseline ${baseline}` : ''}  # root`);
  if (process.getuid?.() !== 0) return [row('skipped: needs root (network namespaces, wireguard-go)', NaN, '')];
  // With a baseline: the same harness first against that revision's API and agents (prefix `xq`), then this tree.
  const runs: [label: string, root: string, prefix: string][] = [];
  if (baseline) runs.push([`${baselineLabel(await resolveRevision(baseline))}: `, await baselineRoot(baseline), 'xq']);
  runs.push([baseline ? 'this tree: ' : '', REPO_ROOT, 'xp']);
  const rows: BenchRow[] = [];
  for (const [label, root, prefix] of runs) rows.push(...(await measure(writes, root, prefix, (metric, ...rest) => row(`${label}${metric}`, ...rest))));
  return rows;
}

async function measure(writes: number, root: string, prefix: string, row: ReturnType<typeof rowsOf>): Promise<BenchRow[]> {
  const world = new World(prefix);
  world.root = root;
  // The API in a process of its own, as in production and in part `convergence` (and as the baseline
  // run always had it): in this process it shared its event loop with the harness's three
  // `nft monitor` readers, and their work showed up as delivery delay (p99 61 → 33 ms from the commit).
  world.apiProcess = true;
  // The production resync interval, as in part `convergence`: a change is not measured behind a drift-repair pass.
  world.agentEnv = () => ({ WEFT_RESYNC_MS: '30000' });
  try {
    await world.up(3);
    const { projectId, networkId } = await world.project('policy', ['web']);
    const apps: Record<string, string> = {};
    for (const [name, type] of [
      ['proxy', 'web'],
      ['backend', 'web'],
      ['worker', 'worker'],
    ])
      apps[name] = await world.application(projectId, name, [type]);
    await world.runContainer(apps.proxy, 'web', 1);
    await world.runContainer(apps.backend, 'web', 2);
    await world.runContainer(apps.worker, 'worker', 3);
    await world.converged(networkId, 30_000);
    const vni: number = (await world.gql(`query($n: ID!) { network(id: $n) { vni } }`, { n: networkId })).network.vni;
    const watch = new PolicyWatch(world, vni, [1, 2, 3]);
    await watch.ready();
    const policy = (mode: string) => ({
      networkId,
      mode,
      rules: [{ from: { application: 'proxy' }, to: { application: 'backend' }, protocol: 'TCP', ports: [{ from: 8080 }] }],
      tests: [
        { from: 'proxy', to: 'backend:8080/tcp', expect: 'ALLOW' },
        { from: 'worker', to: 'backend:8080/tcp', expect: 'DENY' },
      ],
    });
    const all: number[] = [];
    const trips: number[] = [];
    const enforcedAt = new Map<number, number>(); // revision → epoch ms when the last host's kernel notified it
    // Write 0 is the network's first policy: it creates every host's table (and runs each side's
    // policy code for the first time). It is reported on its own row; the p50/p99 rows are the
    // `writes` changes of an existing policy that follow it.
    let firstMs = NaN;
    let firstRevision = 0;
    for (let i = -1; i < writes; i++) {
      const mode = i % 2 === 0 ? 'ENFORCE' : 'AUDIT';
      const since = stamp();
      const { revision } = (await world.gql(SET, { i: policy(mode) })).setNetworkPolicy;
      trips.push(stamp() - since);
      const ms = Math.max(...(await watch.until(mode === 'ENFORCE' ? /drop comment "default-deny"$/ : /comment "would-drop"$/, since)));
      if (i < 0) {
        firstMs = ms;
        firstRevision = revision;
        enforcedAt.set(revision, performance.timeOrigin + since + ms);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      all.push(ms);
      enforcedAt.set(revision, performance.timeOrigin + since + ms);
      await new Promise((r) => setTimeout(r, 100));
    }
    // From each change's commit (its committedAt, as part `convergence` measures): the API's own time left out.
    const committed = await committedAt(world, projectId, Math.min(...enforcedAt.keys()) - 1);
    const firstFromCommit = enforcedAt.get(firstRevision)! - committed.get(firstRevision)!;
    enforcedAt.delete(firstRevision);
    const fromCommit = [...enforcedAt].map(([rev, at]) => at - committed.get(rev)!).sort((a, b) => a - b);
    // New proxies, one at a time: from each creation (PENDING) until every host's table holds its
    // address (in both families' sets when the network is dual-stack; the v4 one is watched).
    const scale: number[] = [];
    for (let k = 0; k < SCALE_CONTAINERS; k++) {
      const since = stamp();
      const c = await world.allocate(apps.proxy, 'web', 3);
      const escaped = c.ip.replace(/\./g, '\\.');
      scale.push(Math.max(...(await watch.until(new RegExp(`^add element bridge \\S+ r0_src \\{.*\\b${escaped}\\b`), since))));
      await new Promise((r) => setTimeout(r, 100));
    }
    scale.sort((a, b) => a - b);
    watch.stop();
    const sorted = [...all].sort((a, b) => a - b);
    return [
      row(
        'first policy of the network (creates every host’s table), committed → enforced on all 3 hosts',
        firstFromCommit,
        'ms',
        '–',
        `${Math.round(firstMs)} ms from the send`,
      ),
      row(
        `setNetworkPolicy → enforced on all 3 hosts, p50 (${writes} changes of the policy, ENFORCE ↔ AUDIT)`,
        percentile(sorted, 50)!,
        'ms',
        '≤ 20 ms (convergence p50)',
        'kernel notification (nft monitor)',
      ),
      row('… p99', percentile(sorted, 99)!, 'ms', '≤ 50 ms (convergence p99)'),
      row(
        'policy change committed → enforced on all 3 hosts, p50',
        percentile(fromCommit, 50)!,
        'ms',
        '≤ 20 ms (convergence p50)',
        'committedAt, as part convergence',
      ),
      row('… p99', percentile(fromCommit, 99)!, 'ms', '≤ 50 ms (convergence p99)'),
      row(
        'setNetworkPolicy round trip, p50 (tests run, the commit happens within it)',
        percentile(
          [...trips].sort((a, b) => a - b),
          50,
        )!,
        'ms',
        '–',
      ),
      row(
        `createContainer (proxy) → its address in every host’s source sets, p50 (${SCALE_CONTAINERS} containers)`,
        percentile(scale, 50)!,
        'ms',
        '≤ 50 ms',
        'before it can be RUNNING',
      ),
      row('… slowest', scale[scale.length - 1], 'ms', '–'),
    ];
  } finally {
    await world.destroy();
  }
}

/** revision → committedAt (epoch ms) of the project's changes after `since`. */
async function committedAt(world: World, projectId: string, since: number): Promise<Map<number, number>> {
  const page = (
    await world.gql(`query($p: ID!, $s: Int!) { projectChanges(projectId: $p, since: $s, first: 500) { changes { revision committedAt } } }`, {
      p: projectId,
      s: since,
    })
  ).projectChanges.changes as { revision: number; committedAt: string }[];
  return new Map(page.map((c) => [c.revision, Date.parse(c.committedAt)]));
}
