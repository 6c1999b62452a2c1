/**
 * Part `convergence` (root): 3 hosts in namespaces with wireguard-go and real agent processes
 * (lab/world.ts), the API as a child process. A probe container runs on hosts 2 and 3; containers
 * come and go on host 1: each is created PENDING and attached, then marked RUNNING (a change), then
 * removed (a change). Latency = from the change's commit (its `committedAt`, read back from
 * `projectChanges` after the run: the API stamps it inside the transaction, in whole ms) until
 * every peer host (2 and 3) holds the container's neighbour entry and both FDB entries in its
 * sandbox AND the probe container on host 2 resolves its name through its gateway; for a removal,
 * until the entries are gone and the name no longer resolves.
 *
 * Measurement, event-driven rather than polled: `ip -4 monitor neigh` and `bridge monitor fdb` run
 * in each peer's sandbox for the whole run, and the kernel's own notifications (read as they arrive,
 * stamped with performance.timeOrigin + performance.now()) say when an entry appeared or went. A
 * long-lived DNS probe (lab/probe.ts `dns-watch`) in the probe container asks about every
 * millisecond, one query in flight, and stamps the first matching answer the same way. Resolution
 * is thus ~1 ms for DNS and well under for the kernel, and nothing is spawned per check.
 *
 * `--conv-baseline <rev>` measures the same harness first against the agents and API of another
 * revision (bench/baseline.ts exports it, node_modules linked), then this tree, in one run. The
 * baseline's agents get WEFT_DEBOUNCE_MS=20, the lab setting they were measured with. Both run
 * with the production resync interval (WEFT_RESYNC_MS 30 s, not the lab's 5 s), so that what is
 * measured is a change's own path, not a change queued behind the drift-repair pass tests speed up.
 * BENCH_CONV_TRACE=1 prints each change's latencies and the peer agents' last log lines.
 * Everything (namespaces, processes, /etc/netns entries) is removed, even on failure.
 */
import type { ChildProcess } from 'node:child_process';
import { percentile } from '../src/feed/convergence.ts';
import { probeArgv } from '../lab/probes.ts';
import { World } from '../lab/world.ts';
import { baselineArg, baselineRoot, REPO_ROOT } from './baseline.ts';
import { type BenchRow, arg } from './table.ts';

export const TIMEOUT_MS = 10_000;
export const now = () => performance.timeOrigin + performance.now();
const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Calls `onLine` with every complete stdout line of `child`, as it arrives. */
export function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let rest = '';
  child.stdout!.on('data', (d) => {
    rest += d;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  });
}

/**
 * What one peer's sandbox holds for remote containers, kept from the kernel's notifications:
 * PERMANENT neighbours by IP, `self` (VTEP) and `master static` FDB entries by MAC.
 */
class SandboxWatch {
  readonly neigh = new Set<string>();
  readonly fdbSelf = new Set<string>();
  readonly fdbMaster = new Set<string>();
  private waiters: { check: () => boolean; done: (at: number) => void }[] = [];

  constructor(world: World, ns: string, vxlan: string) {
    lines(world.spawnIn(ns, ['ip', '-4', 'monitor', 'neigh']), (l) => {
      // `10.240.0.5 dev xcpnv-100 lladdr 02:00:… PERMANENT`; deletion first turns it FAILED, then `Deleted …`
      const w = l.trim().split(/\s+/);
      const at = now();
      if (w[0] === 'Deleted') this.neigh.delete(w[1]);
      else if (w[2] === vxlan && w.includes('PERMANENT') && w.includes('lladdr')) this.neigh.add(w[0]);
      else this.neigh.delete(w[0]);
      this.settle(at);
    });
    lines(world.spawnIn(ns, ['bridge', 'monitor', 'fdb']), (l) => {
      // `02:00:… dev xcpnv-100 dst 100.64.0.1 self permanent` / `02:00:… dev xcpnv-100 master xcpnb-100 static`
      const w = l.trim().split(/\s+/);
      const at = now();
      const gone = w[0] === 'Deleted';
      const [mac, , dev] = gone ? w.slice(1) : w;
      if (dev !== vxlan) return;
      const set = w.includes('self') ? this.fdbSelf : w.includes('master') ? this.fdbMaster : null;
      if (set && gone) set.delete(mac);
      else if (set) set.add(mac);
      this.settle(at);
    });
  }

  /** Resolves with the time the condition became true (−∞ when it already holds). */
  until(check: () => boolean): Promise<number> {
    if (check()) return Promise.resolve(Number.NEGATIVE_INFINITY);
    return new Promise((done) => this.waiters.push({ check, done }));
  }

  holds(ip: string, mac: string): boolean {
    return this.neigh.has(ip) && this.fdbSelf.has(mac) && this.fdbMaster.has(mac);
  }

  none(ip: string, mac: string): boolean {
    return !this.neigh.has(ip) && !this.fdbSelf.has(mac) && !this.fdbMaster.has(mac);
  }

  private settle(at: number): void {
    this.waiters = this.waiters.filter((w) => !(w.check() && (w.done(at), true)));
  }
}

/** The DNS probe (lab/probe.ts dns-watch) in a container: one expectation at a time. */
export class DnsWatch {
  private waiting: ((at: number) => void) | null = null;

  constructor(private readonly child: ChildProcess) {
    lines(child, (l) => {
      if (!l.startsWith('{')) return;
      const { at } = JSON.parse(l) as { at: number };
      this.waiting?.(at);
      this.waiting = null;
    });
  }

  /** Resolves with the time `name` first answered `ip` (null: no address at all), with TTL `ttl` when given. */
  until(name: string, ip: string | null, ttl?: number): Promise<number> {
    return new Promise((done) => {
      this.waiting = done;
      this.child.stdin!.write(`${name} ${ip ?? '-'}${ttl === undefined ? '' : ` ${ttl}`}\n`);
    });
  }
}

export const within = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what}: not within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref())]);

/** Latencies in ms from each change's commit: until everything held, the kernel part, the DNS part. */
interface Latencies {
  all: number[];
  kernel: number[];
  dns: number[];
}

interface Measured {
  add: Latencies;
  remove: Latencies;
  rtt: number[];
}

/** When one change was committed (revision) and when its kernel entries and its name were right. */
type Done = { revision: number; kernel: number; dns: number };

/** One full measurement: a fresh lab whose API and agents run from `root`. */
async function measure(prefix: string, root: string, agentEnv: Record<string, string>, changes: number): Promise<Measured> {
  const world = benchWorld(prefix, root, agentEnv);
  try {
    await world.up(3);
    const { projectId, networkId, appId } = await world.project('conv', ['web']);
    const { vni, gateway } = (await world.gql(`query($n: ID!) { network(id: $n) { vni gateway } }`, { n: networkId })).network;
    const probe = await world.runContainer(appId, 'web', 2);
    await world.runContainer(appId, 'web', 3);
    await world.runContainer(appId, 'web', 1);
    await world.converged(networkId, 30_000);
    const peers = [2, 3].map((n) => {
      const names = world.lab.hosts[n - 1].names;
      return new SandboxWatch(world, names.sandboxNs(vni), names.vxlan(vni));
    });
    const dnsProbe = world.spawnIn(probe.ns, probeArgv('dns-watch', gateway));
    await new Promise<void>((ready) => lines(dnsProbe, (l) => l === 'ready' && ready()));
    const dns = new DnsWatch(dnsProbe);
    await new Promise((r) => setTimeout(r, 300)); // the monitors are subscribed

    const done: { add: Done[]; remove: Done[] } = { add: [], remove: [] };
    const rtt: number[] = [];
    /** One mutation about container `c`; resolves with its revision and when every check held (present: added, else gone). */
    const change = async (mutation: string, c: { id: string; ip: string; mac: string; hostname: string }, present: boolean): Promise<Done> => {
      const mac = c.mac.toLowerCase();
      const kernel = peers.map((p) => p.until(() => (present ? p.holds(c.ip, mac) : p.none(c.ip, mac))));
      const answered = dns.until(c.hostname, present ? c.ip : null);
      const s = now();
      const result = await world.gql<Record<string, { revision: number }>>(`mutation($id: ID!) { ${mutation}(id: $id) { revision } }`, { id: c.id });
      const { revision } = result[mutation];
      rtt.push(now() - s);
      const at = await within(Promise.all([...kernel, answered]), `${mutation} ${c.id}`);
      return { revision, kernel: Math.max(at[0], at[1]), dns: at[2] };
    };
    for (let i = 0; i < changes; i++) {
      const c = await world.runContainer(appId, 'web', 1, { markRunning: false });
      done.add.push(await change('markContainerRunning', c, true));
      done.remove.push(await change('removeContainer', c, false));
    }
    const committed = await commitTimes(world, projectId);
    const latency = (list: Done[]): Latencies => {
      const since = (d: Done, at: number) => {
        const t = committed.get(d.revision);
        if (t === undefined) throw new Error(`no committedAt for revision ${d.revision}`);
        return at - t;
      };
      return {
        all: list.map((d) => since(d, Math.max(d.kernel, d.dns))),
        kernel: list.map((d) => since(d, d.kernel)).filter(Number.isFinite), // −∞: held before the commit
        dns: list.map((d) => since(d, d.dns)),
      };
    };
    const result = { add: latency(done.add), remove: latency(done.remove), rtt };
    if (process.env.BENCH_CONV_TRACE) {
      // per change: all / kernel / DNS ms since commit, then what the peers' agents logged
      for (const kind of ['add', 'remove'] as const)
        console.error(
          kind,
          result[kind].all.map((v, i) => `${v.toFixed(1)}/${(result[kind].kernel[i] ?? Number.NaN).toFixed(1)}/${result[kind].dns[i].toFixed(1)}`).join(' '),
        );
      for (const h of world.hosts.slice(1)) console.error(h.agentLog.split('\n').slice(-40).join('\n'));
    }
    return result;
  } finally {
    await world.destroy();
  }
}

/** A lab (not up yet) whose API runs as a child process and whose API and agents run from `root` (this checkout or a baseline). */
export function benchWorld(prefix: string, root: string, agentEnv: Record<string, string>): World {
  const world = new World(prefix);
  world.root = root;
  world.apiProcess = true;
  world.agentEnv = () => agentEnv;
  return world;
}

/** revision → committedAt (epoch ms) of every change of the project. */
export async function commitTimes(world: World, projectId: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let since = 0; ; ) {
    const page = (
      await world.gql(`query($p: ID!, $s: Int!) { projectChanges(projectId: $p, since: $s, first: 500) { changes { revision committedAt } } }`, {
        p: projectId,
        s: since,
      })
    ).projectChanges.changes as { revision: number; committedAt: string }[];
    for (const c of page) out.set(c.revision, Date.parse(c.committedAt));
    if (page.length < 500) return out;
    since = page[page.length - 1].revision;
  }
}

/** Part `convergence`. */
export async function benchConvergence(): Promise<BenchRow[]> {
  const changes = arg('conv-changes', 100);
  const baseline = baselineArg('conv'); // --conv-baseline, or --baseline for every part
  const command = `npm run bench -- convergence --conv-changes ${changes}${baseline ? ` --conv-baseline ${baseline}` : ''}  # root; ${changes} adds + ${changes} removals`;
  const row = (metric: string, value: number, target = '–', anchor = ''): BenchRow => ({
    part: 'convergence',
    metric,
    value,
    unit: 'ms',
    target,
    anchor,
    command,
  });
  if (process.getuid?.() !== 0) return [{ ...row('skipped: needs root (network namespaces, wireguard-go)', Number.NaN, 'p99 ≤ 50 ms'), unit: '' }];
  const runs: [string, string, Record<string, string>][] = [];
  const production = { WEFT_RESYNC_MS: '30000' };
  if (baseline) runs.push([`baseline ${baseline}`, await baselineRoot(baseline), { ...production, WEFT_DEBOUNCE_MS: '20' }]);
  runs.push(['this tree', REPO_ROOT, production]);
  const rows: BenchRow[] = [];
  for (const [i, [label, root, env]] of runs.entries()) {
    const m = await measure(i === 0 && baseline ? 'xb' : 'xc', root, env, changes);
    const p = (v: number[], q: number) => percentile(sorted(v), q) ?? Number.NaN;
    const both = [...m.add.all, ...m.remove.all];
    rows.push(
      row(`${label}: commit→2 peers programmed + DNS answers, p50 (${m.add.all.length} RUNNING)`, p(m.add.all, 50), '≤ 20 ms'),
      row(`${label}: … p99, RUNNING`, p(m.add.all, 99), '≤ 50 ms', `DNS part p50 ${fmt(p(m.add.dns, 50))}, p99 ${fmt(p(m.add.dns, 99))}`),
      row(`${label}: commit→entries gone + name gone, p50 (${m.remove.all.length} removals)`, p(m.remove.all, 50), '≤ 20 ms'),
      row(
        `${label}: … p99, removal`,
        p(m.remove.all, 99),
        '≤ 50 ms',
        `kernel part p50 ${fmt(p(m.remove.kernel, 50))}, p99 ${fmt(p(m.remove.kernel, 99))}; DNS part p50 ${fmt(p(m.remove.dns, 50))}, p99 ${fmt(p(m.remove.dns, 99))}`,
      ),
      row(`${label}: all ${both.length} changes, p50`, p(both, 50), '≤ 20 ms', 'kernel notifications + 1 ms DNS probe'),
      row(`${label}: all ${both.length} changes, p99`, p(both, 99), '≤ 50 ms'),
      row(`${label}: mutation round trip, p50`, p(m.rtt, 50), '–', 'the commit happens within it'),
    );
  }
  return rows;
}
