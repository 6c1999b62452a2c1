/**
 * Part `dataplane` (root): 2 hosts in namespaces with wireguard-go and real agent processes
 * (lab/world.ts, prefix `xd`), one container on each. iperf3 TCP throughput in interleaved pairs:
 * (c) plain WireGuard, host namespace → host namespace over the mesh addresses, and (d) container →
 * container across the hosts through the agent-built VXLAN-in-WireGuard path. Reports both medians
 * and the ratio of the medians (d)/(c), plus the per-pair ratios' range. Also checks the container
 * MTU: `ping -M do -s 1342` (1370-byte packets) passes container→container and `-s 1343` fails.
 * Dual-stack (issue 21): the network has ipv6 ON (the API's default), so each pair also runs (e) the
 * same containers over their derived v6 addresses, reported as (e)/(c) and (e)/(d), with the v6 MTU
 * check (`ping -6 -M do -s 1322` passes, `-s 1323` fails).
 * Only the processes it starts are ended (by PID, through World.spawnIn); the world is destroyed
 * even on failure. All traffic stays inside the lab's namespaces.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { containerIpv6 } from '../protocol/addressing/ipv6.ts';
import { World } from '../lab/world.ts';
import { sleep } from '../test/support/netns-lab.ts';
import { type BenchRow, arg, rowsOf } from './table.ts';

const run = promisify(execFile);

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Proc {
  ppid: number;
  ticks: number;
}

/** utime+stime (clock ticks) and parent of every process, from /proc/<pid>/stat (read only). */
function procs(): Map<number, Proc> {
  const all = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {}
  }
  return all;
}

/**
 * CPU (in cores) used during an interval by processes outside this bench's own process tree (the
 * lab's wireguard-go, agents, iperf3 are all descendants): other work on the machine that competes
 * with the measurement. A lower bound — processes that start and end within the interval are missed.
 */
async function outsideCpu<T>(fn: () => Promise<T>, wgPids: number[]): Promise<{ value: T; cores: number; wg: number; busy: number }> {
  const busyTicks = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4]; // all but idle and iowait
  };
  const busy0 = busyTicks();
  const before = procs();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const after = procs();
  const busy = (busyTicks() - busy0) / 100 / seconds;
  const wg = wgPids.reduce((sum, pid) => sum + Math.max(0, (after.get(pid)?.ticks ?? 0) - (before.get(pid)?.ticks ?? 0)), 0) / 100 / seconds;
  const mine = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of after) if (!mine.has(pid) && mine.has(p.ppid)) mine.add(pid), (grew = true);
  }
  let ticks = 0;
  for (const [pid, p] of after) if (!mine.has(pid)) ticks += Math.max(0, p.ticks - (before.get(pid)?.ticks ?? 0));
  return { value, cores: ticks / 100 / seconds, wg, busy }; // USER_HZ is 100 on Linux
}

/** One iperf3 run: a one-off server bound to `serverIp` in `serverNs`, the client in `clientNs`; Gbit/s received. */
async function iperf(world: World, serverNs: string, serverIp: string, clientNs: string, seconds: number): Promise<number> {
  const server = world.spawnIn(serverNs, ['iperf3', '-s', '-1', '-B', serverIp]);
  const exited = new Promise((r) => server.once('exit', r));
  try {
    // wait until the server listens (ss inside its namespace)
    for (let i = 0; i < 100; i++) {
      const { stdout } = await run('ip', ['netns', 'exec', serverNs, 'ss', '-Hltn', `sport = :5201`]).catch(() => ({ stdout: '' }));
      if (stdout.includes(serverIp)) break;
      await sleep(50);
    }
    const { stdout } = await run('ip', ['netns', 'exec', clientNs, 'iperf3', '-c', serverIp, '-t', String(seconds), '-J'], { maxBuffer: 64 << 20 });
    const result = JSON.parse(stdout);
    if (result.error) throw new Error(`iperf3: ${result.error}`);
    return result.end.sum_received.bits_per_second / 1e9;
  } finally {
    await Promise.race([exited, sleep(3000)]);
    if (server.exitCode === null && server.signalCode === null) {
      try {
        process.kill(-server.pid!, 'SIGKILL');
      } catch {}
    }
  }
}

/** Whether `ping -M do -s size` from `ns` to `ip` gets a reply (DF set, no fragmentation). */
async function pingDf(ns: string, ip: string, size: number): Promise<boolean> {
  return run('ip', ['netns', 'exec', ns, 'ping', '-M', 'do', '-c', '2', '-i', '0.2', '-W', '1', '-s', String(size), ip]).then(
    () => true,
    () => false,
  );
}

/** Part `dataplane`. */
export async function benchDataplane(): Promise<BenchRow[]> {
  const pairs = arg('dp-pairs', 4);
  const seconds = arg('dp-seconds', 5);
  const command = `npm run bench -- dataplane --dp-pairs ${pairs} --dp-seconds ${seconds}  # root`;
  const row = rowsOf('dataplane', command);
  if (process.getuid?.() !== 0) return [row('skipped: needs root (network namespaces, wireguard-go, iperf3)', NaN, '', '(d)/(c) ≥ 0.90')];
  const world = new World('xd');
  try {
    await world.up(2);
    const { networkId, appId } = await world.project('dp', ['web']);
    const a = await world.runContainer(appId, 'web', 1);
    const b = await world.runContainer(appId, 'web', 2);
    await world.converged(networkId, 30_000);
    const net = (await world.gql(`query($n: ID!) { network(id: $n) { cidr ipv6 ipv6Cidr } }`, { n: networkId })).network;
    if (net.ipv6 !== 'ON') throw new Error(`the bench network has ipv6 ${net.ipv6}: the v6 row needs it ON`);
    const b6 = containerIpv6({ cidr: net.cidr, ipv6: { cidr: net.ipv6Cidr } }, b.ip)!;

    // mesh addresses of the hosts' WireGuard interfaces, as the agents configured them
    const mesh = await Promise.all(
      world.lab.hosts.map(async (h) => {
        const { stdout } = await run('ip', ['-n', h.ns, '-j', 'addr', 'show', h.names.wg]);
        const addr = (JSON.parse(stdout) as { addr_info: { family: string; local: string }[] }[])[0]?.addr_info.find((x) => x.family === 'inet')?.local;
        if (!addr) throw new Error(`no IPv4 address on ${h.names.wg} in ${h.ns}`);
        return addr;
      }),
    );
    const [h1, h2] = world.lab.hosts;

    // the path must work before it is measured (first packets also settle WireGuard handshakes and neighbours)
    for (let i = 0; i < 50 && !(await pingDf(a.ns, b.ip, 56)); i++) await sleep(100);
    for (let i = 0; i < 50 && !(await pingDf(h1.ns, mesh[1], 56)); i++) await sleep(100);
    const mtuPass = await pingDf(a.ns, b.ip, 1342);
    const mtuFail = !(await pingDf(a.ns, b.ip, 1343));
    for (let i = 0; i < 50 && !(await pingDf(a.ns, b6, 56)); i++) await sleep(100);
    const mtu6Pass = await pingDf(a.ns, b6, 1370 - 48);
    const mtu6Fail = !(await pingDf(a.ns, b6, 1370 - 47));
    const { stdout: mtuOut } = await run('ip', ['-n', a.ns, '-j', 'link', 'show', a.iface]);
    const ifMtu: number = JSON.parse(mtuOut)[0]?.mtu ?? NaN;

    const c: number[] = [];
    const d: number[] = [];
    const e: number[] = [];
    const outside: number[] = [];
    const wgPids = world.lab.hosts.map((h) => h.wg?.pid).filter((p): p is number => !!p);
    const cpu = { c: [] as { wg: number; busy: number }[], d: [] as { wg: number; busy: number }[] };
    for (let i = 0; i < pairs; i++) {
      const rc = await outsideCpu(() => iperf(world, h2.ns, mesh[1], h1.ns, seconds), wgPids);
      const rd = await outsideCpu(() => iperf(world, b.ns, b.ip, a.ns, seconds), wgPids);
      const re = await outsideCpu(() => iperf(world, b.ns, b6, a.ns, seconds), wgPids);
      cpu.c.push(rc);
      cpu.d.push(rd);
      c.push(rc.value);
      d.push(rd.value);
      e.push(re.value);
      outside.push(Math.max(rc.cores, rd.cores, re.cores));
      console.error(
        `bench: dataplane pair ${i + 1}/${pairs}: wg ${c[i].toFixed(3)} Gbit/s, vxlan-in-wg ${d[i].toFixed(3)} Gbit/s (${(d[i] / c[i]).toFixed(2)}), over v6 ${e[i].toFixed(3)} Gbit/s (${(e[i] / c[i]).toFixed(2)}); outside CPU ≤ ${outside[i].toFixed(2)} cores`,
      );
    }
    const mc = median(c);
    const md = median(d);
    const me = median(e);
    const v6Ratios = e.map((x, i) => x / c[i]);
    const pairRatios = d.map((x, i) => x / c[i]);
    const QUIET = 0.1;
    const quiet = outside.map((o, i) => (o < QUIET ? i : -1)).filter((i) => i >= 0);
    const fmt = (v: number[]) => v.map((x) => x.toFixed(2)).join(', ');
    return [
      row(`(c) plain WireGuard host→host (${mesh[0]} → ${mesh[1]}), median of ${pairs}×${seconds} s`, mc, 'Gbit/s', '–', `runs ${fmt(c)}`),
      row(`(d) container→container across hosts via VXLAN-in-WireGuard, median of ${pairs}×${seconds} s`, md, 'Gbit/s', '–', `runs ${fmt(d)}`),
      row(
        'ratio of medians (d)/(c), interleaved pairs',
        md / mc,
        '×',
        '≥ 0.90',
        `${(md / mc).toFixed(3)}; pairs ${Math.min(...pairRatios).toFixed(2)}–${Math.max(...pairRatios).toFixed(2)}; reference lab 0.85–0.90 (wireguard-go without TUN offloads)`,
      ),
      row(`(e) the same containers over IPv6 (${b6}), median of ${pairs}×${seconds} s`, me, 'Gbit/s', '–', `runs ${fmt(e)}`),
      row(
        'IPv6: ratio of medians (e)/(c), interleaved with (c) and (d)',
        me / mc,
        '×',
        'same as (d)/(c)',
        `${(me / mc).toFixed(3)} vs v4 ${(md / mc).toFixed(3)}; (e)/(d) ${(me / md).toFixed(3)}; pairs ${Math.min(...v6Ratios).toFixed(2)}–${Math.max(...v6Ratios).toFixed(2)}`,
      ),
      row(
        `ratio of medians over the ${quiet.length} quiet pairs (other processes < ${QUIET} cores)`,
        quiet.length ? median(quiet.map((i) => d[i])) / median(quiet.map((i) => c[i])) : NaN,
        '×',
        '≥ 0.90',
        quiet.length ? `${(median(quiet.map((i) => d[i])) / median(quiet.map((i) => c[i]))).toFixed(3)}` : 'no quiet pair',
      ),
      row(
        'machine CPU busy during (c) / (d), median (wireguard-go processes of both hosts)',
        median(cpu.c.map((x) => x.busy)),
        `/ ${median(cpu.d.map((x) => x.busy)).toFixed(2)} cores of ${availableParallelism()}`,
        '–',
        `wireguard-go ${median(cpu.c.map((x) => x.wg)).toFixed(2)} / ${median(cpu.d.map((x) => x.wg)).toFixed(2)} cores; Gbit/s per wireguard-go core ${(mc / median(cpu.c.map((x) => x.wg))).toFixed(3)} / ${(md / median(cpu.d.map((x) => x.wg))).toFixed(3)}`,
      ),
      row(
        'CPU used by other processes on the machine during the runs, max per pair',
        Math.max(...outside),
        'cores',
        '≈ 0 (quiet machine)',
        `per pair ${fmt(outside)}; lower bound from /proc/<pid>/stat of processes outside the bench's tree`,
      ),
      row(
        `container MTU ${ifMtu}: ping -M do -s 1342 ${mtuPass ? 'passes' : 'FAILS'}, -s 1343 ${mtuFail ? 'fails' : 'PASSES'} (container→container across hosts)`,
        mtuPass && mtuFail && ifMtu === 1370 ? 1 : 0,
        mtuPass && mtuFail && ifMtu === 1370 ? 'ok' : 'NOT OK',
        'MTU 1370, no fragmentation',
      ),
      row(
        `IPv6 MTU: ping -6 -M do -s 1322 ${mtu6Pass ? 'passes' : 'FAILS'}, -s 1323 ${mtu6Fail ? 'fails' : 'PASSES'} (container→container across hosts)`,
        mtu6Pass && mtu6Fail ? 1 : 0,
        mtu6Pass && mtu6Fail ? 'ok' : 'NOT OK',
        'MTU 1370 on v6, no fragmentation',
      ),
    ];
  } finally {
    await world.destroy();
  }
}
