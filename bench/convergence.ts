/**
 * Part `convergence` (root): 3 hosts in namespaces with wireguard-go and real agent processes
 * (lab/world.ts, prefix `xc`). A probe container runs on hosts 2 and 3; containers come and go on
 * host 1. For each change, latency = from the change's commit (the mutation's commit, taken as the
 * moment its response arrives — an upper bound on the commit time is the request start, so this
 * under-counts by at most the mutation's own round trip, reported separately) until every peer host
 * (2 and 3) has the FDB and neighbour entries in its sandbox AND the probe on host 2 resolves the
 * name through its gateway (`dig` inside the probe's namespace); for a removal, until the entries
 * are gone and the name no longer resolves. Polling cost bounds the resolution (~10 ms).
 * Everything (namespaces, processes, /etc/netns entries) is removed, even on failure.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { percentile } from '../src/feed/convergence.ts';
import { World } from '../lab/world.ts';
import { type BenchRow, arg } from './table.ts';

const run = promisify(execFile);
const out = (argv: string[]) =>
  run(argv[0], argv.slice(1), { env: { ...process.env, LC_ALL: 'C' } }).then(
    (r) => r.stdout,
    () => '',
  );

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return Date.now();
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('timed out');
}

/** Part `convergence`. */
export async function benchConvergence(): Promise<BenchRow[]> {
  const changes = arg('conv-changes', 100);
  const command = `npm run bench -- convergence --conv-changes ${changes}  # root; ${changes} adds + ${changes} removals`;
  if (process.getuid?.() !== 0)
    return [
      {
        part: 'convergence',
        metric: 'skipped: needs root (network namespaces, wireguard-go)',
        value: NaN,
        unit: '',
        target: 'p99 ≤ 100 ms',
        anchor: '',
        command,
      },
    ];
  const world = new World('xc');
  try {
    await world.up(3);
    const { networkId, appId } = await world.project('conv', ['web']);
    const vni: number = (await world.gql(`query($n: ID!) { network(id: $n) { vni } }`, { n: networkId })).network.vni;
    const probe = await world.runContainer(appId, 'web', 2);
    await world.runContainer(appId, 'web', 3);
    await world.runContainer(appId, 'web', 1);
    await world.converged(networkId, 30_000);
    const gateway: string = (await world.gql(`query($n: ID!) { network(id: $n) { gateway } }`, { n: networkId })).network.gateway;
    const peers = [2, 3].map((n) => world.lab.hosts[n - 1].names);
    const entries = async (mac: string, ip: string) => {
      const seen = await Promise.all(
        peers.map(async (names) => {
          const ns = names.sandboxNs(vni);
          const [fdb, neigh] = await Promise.all([
            out(['ip', 'netns', 'exec', ns, 'bridge', '-j', 'fdb', 'show', 'dev', names.vxlan(vni)]),
            out(['ip', '-n', ns, '-j', 'neigh', 'show', 'dev', names.vxlan(vni)]),
          ]);
          return fdb.toLowerCase().includes(mac) && neigh.includes(`"${ip}"`);
        }),
      );
      return { all: seen.every(Boolean), none: seen.every((s) => !s) };
    };
    const resolves = async (name: string) => (await out(['ip', 'netns', 'exec', probe.ns, 'dig', `@${gateway}`, '+short', '+time=1', '+tries=1', name])).trim();

    const add: number[] = [];
    const remove: number[] = [];
    const rtt: number[] = [];
    for (let i = 0; i < changes; i++) {
      const c = await world.runContainer(appId, 'web', 1, { markRunning: false });
      const mac = `02:00:${c.ip
        .split('.')
        .map((o) => Number(o).toString(16).padStart(2, '0'))
        .join(':')}`;
      let s = performance.now();
      await world.gql(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
      let committed = Date.now();
      rtt.push(performance.now() - s);
      let done = await waitUntil(async () => (await entries(mac, c.ip)).all && (await resolves(c.hostname)) === c.ip);
      add.push(done - committed);
      s = performance.now();
      await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.id });
      committed = Date.now();
      rtt.push(performance.now() - s);
      done = await waitUntil(async () => (await entries(mac, c.ip)).none && (await resolves(c.hostname)) === '');
      remove.push(done - committed);
    }
    const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
    const both = sorted([...add, ...remove]);
    const row = (metric: string, value: number, target = '–', anchor = ''): BenchRow => ({
      part: 'convergence',
      metric,
      value,
      unit: 'ms',
      target,
      anchor,
      command,
    });
    return [
      row(`commit→2 peers programmed + DNS answers, p50 (${add.length} RUNNING)`, percentile(sorted(add), 50)!),
      row('… p99, RUNNING', percentile(sorted(add), 99)!, '≤ 100 ms'),
      row(`commit→entries gone + name gone, p50 (${remove.length} removals)`, percentile(sorted(remove), 50)!),
      row('… p99, removal', percentile(sorted(remove), 99)!, '≤ 100 ms'),
      row(`all ${both.length} changes, p50`, percentile(both, 50)!, '–', 'agent debounce 20 ms (lab), poll ~10 ms'),
      row(`all ${both.length} changes, p99`, percentile(both, 99)!, '≤ 100 ms'),
      row('mutation round trip (not included above), p50', percentile(sorted(rtt), 50)!, '–', 'commit happens within it'),
    ];
  } finally {
    await world.destroy();
  }
}
