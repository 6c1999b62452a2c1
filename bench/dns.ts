/**
 * DNS benchmark: dnsperf against Weft's server and against dnsmasq serving the same names, on
 * loopback, in one run. Prints QPS, average latency, server cores used, QPS per core, and the
 * ratios Weft / dnsmasq over several runs with their spread (min / median / max).
 *
 *   node bench/dns.ts [--names 1000] [--seconds 10] [--clients 16] [--runs 5] [--edns]
 *                     [--dns-baseline <git rev>]
 *
 * Also part `dns` of `npm run bench` (benchDns returns the same figures as BenchRows).
 *
 * Each run measures every server once, back to back, in an order that rotates from run to run, and
 * each ratio is taken within a run (Weft against the dnsmasq measured next to it), so a noisy
 * neighbour skews one run's pair rather than one server's median. `--dns-baseline <rev>` also runs
 * the server of another revision (an export of it, bench/baseline.ts) under the same dnsperf, for a
 * before/after in one run on one machine.
 *
 * Weft alone is also measured on SRV (`_http._tcp.web.<app>`, 10 targets with their A records as
 * additional data) and TXT (`_instances.<app>`, 10 strings) questions, with EDNS since both
 * answers exceed 512 bytes (issue 19): rows `weft SRV` and `weft TXT`, beside A in the same runs.
 *
 * Cores are the server process's utime+stime over the dnsperf run (from /proc), so the load
 * generator sharing the machine does not count. Never touches anything but 127.0.0.1.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { baselineLabel, baselineRoot, REPO_ROOT } from './baseline.ts';
import { benchNetwork } from './dns-names.ts';
import { type BenchRow, arg, rowsOf } from './table.ts';

const run = promisify(execFile);
const NAMES = arg('names', 1000),
  SECONDS = arg('seconds', 10),
  CLIENTS = arg('clients', 16),
  RUNS = arg('runs', 5);
const EDNS = process.argv.includes('--edns');
const BASELINE = (() => {
  for (const flag of ['--dns-baseline', '--baseline']) {
    const i = process.argv.indexOf(flag);
    if (i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--')) return process.argv[i + 1];
  }
  return null;
})();

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
}

async function waitReady(child: ChildProcess, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      '+short',
      '+time=1',
      '+tries=1',
      '1.web.ap-bench0000.pn-bench.private-network.internal',
    ]).then(
      (r) => r.stdout.trim() === '10.242.0.2',
      () => false,
    );
    if (ok) return;
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server not ready');
}

interface Measured {
  label: string;
  run: number;
  qps: number;
  latencyMs: number;
  cores: number;
  perCore: number;
  lost: number;
}

async function measure(label: string, runIndex: number, pid: number, port: number, queries: string, edns = EDNS): Promise<Measured> {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(SECONDS), '-c', String(CLIENTS), '-q', '100'];
  if (edns) args.push('-e');
  const { stdout } = await run('dnsperf', args, { maxBuffer: 1 << 24 });
  const wall = (performance.now() - t0) / 1000;
  const cores = (cpuSeconds(pid) - cpu0) / wall;
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1]);
  const latencyMs = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(stdout)?.[1]) * 1000;
  const lost = Number(/Queries lost:\s+(\d+)/.exec(stdout)?.[1]);
  return { label, run: runIndex, qps, latencyMs, cores, perCore: qps / cores, lost };
}

const WEFT = 'weft';
const SRV = 'weft SRV' as const;
const TXT = 'weft TXT' as const;
const beforeLabel = (rev: string) => `weft ${baselineLabel(rev)}`;

/** Starts Weft's bench server from checkout `root` on `port`. */
function startWeft(root: string, port: number): ChildProcess {
  return spawn(process.execPath, [join(root, 'bench', 'dns-server.ts'), String(port), String(NAMES)], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main(dir: string, children: ChildProcess[]): Promise<Measured[]> {
  const model = benchNetwork(NAMES);
  const hosts = model.containers.map((c) => `${c.ip} ${c.hostname}`).join('\n') + '\n';
  writeFileSync(join(dir, 'hosts'), hosts);
  const queries = join(dir, 'queries');
  writeFileSync(queries, model.containers.map((c) => `${c.hostname} A`).join('\n') + '\n');
  const apps = model.applications.map((a) => `${a.id}.pn-bench.private-network.internal`);
  const typed = { [SRV]: join(dir, 'queries-srv'), [TXT]: join(dir, 'queries-txt') };
  writeFileSync(typed[SRV], apps.map((a) => `_http._tcp.web.${a} SRV`).join('\n') + '\n');
  writeFileSync(typed[TXT], apps.map((a) => `_instances.${a} TXT`).join('\n') + '\n');
  const base = 25353 + (process.pid % 1000);
  const servers: { label: string; child: ChildProcess; port: number }[] = [];
  const weft = startWeft(REPO_ROOT, base);
  children.push(weft);
  servers.push({ label: WEFT, child: weft, port: base });
  if (BASELINE) {
    const before = startWeft(await baselineRoot(BASELINE), base + 2000);
    children.push(before);
    servers.push({ label: beforeLabel(BASELINE), child: before, port: base + 2000 });
  }
  const maskPort = base + 1000;
  const mask = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--no-dhcp-interface=',
      `--addn-hosts=${join(dir, 'hosts')}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${maskPort}`,
      '--local=/private-network.internal/',
      '--cache-size=10000',
      '--local-ttl=5',
      '--user=root',
      `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(mask);
  servers.unshift({ label: 'dnsmasq', child: mask, port: maskPort });
  await Promise.all(servers.map((s) => waitReady(s.child, s.port)));

  const rows: Measured[] = [];
  for (let r = 0; r < RUNS; r++) {
    for (let i = 0; i < servers.length; i++) {
      const s = servers[(i + r) % servers.length]; // rotate who goes first
      rows.push(await measure(s.label, r, s.child.pid!, s.port, queries));
    }
    for (const label of [SRV, TXT] as const) rows.push(await measure(label, r, weft.pid!, base, typed[label], true));
  }
  return rows;
}

/** min, median and max of `values`. */
function spread(values: number[]): { min: number; median: number; max: number } {
  const v = [...values].sort((a, b) => a - b);
  return { min: v[0], median: v[Math.floor(v.length / 2)], max: v[v.length - 1] };
}

const of = (rows: Measured[], label: string, key: 'qps' | 'latencyMs' | 'cores' | 'perCore') =>
  spread(rows.filter((x) => x.label === label).map((x) => x[key]));

/** Per run, `label`'s figure over `against`'s (dnsmasq unless told) in the same run. */
function ratios(rows: Measured[], label: string, key: 'qps' | 'perCore', against = 'dnsmasq') {
  const values: number[] = [];
  for (const r of new Set(rows.map((x) => x.run))) {
    const ours = rows.find((x) => x.run === r && x.label === label);
    const theirs = rows.find((x) => x.run === r && x.label === against);
    if (ours && theirs) values.push(ours[key] / theirs[key]);
  }
  return spread(values);
}

const lostOf = (rows: Measured[], label: string) => rows.filter((x) => x.label === label).reduce((a, x) => a + x.lost, 0);
const fmtSpread = (s: { min: number; median: number; max: number }, digits = 2) =>
  `${s.median.toFixed(digits)}× (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;

/** Runs the servers under dnsperf (loopback only) and always stops them and removes the temp dir. */
async function measureAll(): Promise<Measured[]> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-dns-bench-'));
  const children: ChildProcess[] = [];
  try {
    return await main(dir, children);
  } finally {
    for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Part `dns`: Weft's QPS, latency and QPS per core next to dnsmasq's, and the ratios with their spread. */
export async function benchDns(): Promise<BenchRow[]> {
  const rows = await measureAll();
  const command = `npm run bench:dns -- --names ${NAMES} --seconds ${SECONDS} --clients ${CLIENTS} --runs ${RUNS}${EDNS ? ' --edns' : ''}${BASELINE ? ` --dns-baseline ${BASELINE}` : ''}`;
  const row = rowsOf('dns', command);
  const m = (label: string, key: 'qps' | 'latencyMs' | 'cores' | 'perCore') => of(rows, label, key).median;
  const runs = `${RUNS} runs, min–max`;
  const out: BenchRow[] = [];
  for (const label of [WEFT, ...(BASELINE ? [beforeLabel(BASELINE)] : [])]) {
    const name = label === WEFT ? 'Weft DNS' : `Weft DNS ${baselineLabel(BASELINE!)}`;
    const q = ratios(rows, label, 'qps');
    const c = ratios(rows, label, 'perCore');
    out.push(
      row(`${name} QPS (dnsperf, loopback), median`, m(label, 'qps'), 'q/s', '–', `dnsmasq ${Math.round(m('dnsmasq', 'qps'))} q/s, same names`),
      row(`${name} average latency, median`, m(label, 'latencyMs'), 'ms', '–', `dnsmasq ${m('dnsmasq', 'latencyMs').toFixed(3)} ms`),
      row(`${name} QPS ratio / dnsmasq, median`, q.median, '×', '–', `${runs} ${q.min.toFixed(2)}–${q.max.toFixed(2)}; lost ${lostOf(rows, label)}`),
      row(
        `${name} QPS-per-core ratio / dnsmasq, median`,
        c.median,
        '×',
        '≥ 1.0 (stretch)',
        `${runs} ${c.min.toFixed(2)}–${c.max.toFixed(2)}; ${Math.round(m(label, 'perCore'))}/core vs dnsmasq ${Math.round(m('dnsmasq', 'perCore'))}/core`,
      ),
    );
  }
  for (const [label, what] of [
    [SRV, 'SRV (_http._tcp.web.<app>: 10 targets + 10 additional A, EDNS)'],
    [TXT, 'TXT (_instances.<app>: 10 strings, EDNS)'],
  ] as const) {
    const q = ratios(rows, label, 'qps', WEFT);
    out.push(
      row(
        `Weft DNS ${what} QPS, median`,
        m(label, 'qps'),
        'q/s',
        '–',
        `A: ${Math.round(m(WEFT, 'qps'))} q/s in the same runs; ${q.median.toFixed(2)}× A (${runs} ${q.min.toFixed(2)}–${q.max.toFixed(2)}); lost ${lostOf(rows, label)}`,
      ),
      row(`Weft DNS ${label.split(' ')[1]} QPS per core, median`, m(label, 'perCore'), 'q/s per core', '–', `A: ${Math.round(m(WEFT, 'perCore'))}/core`),
    );
  }
  if (BASELINE) {
    const c = ratios(rows, WEFT, 'perCore', beforeLabel(BASELINE));
    out.push(
      row(`Weft DNS QPS per core, after / before (${BASELINE.slice(0, 7)}), median`, c.median, '×', '–', `${runs} ${c.min.toFixed(2)}–${c.max.toFixed(2)}`),
    );
  }
  return out;
}

function printText(rows: Measured[]): void {
  const labels = [...new Set(rows.map((x) => x.label))];
  console.log(`dnsperf -l ${SECONDS} -c ${CLIENTS} -q 100${EDNS ? ' -e' : ''}, ${NAMES} names, ${RUNS} run(s); medians (min–max); node ${process.version}`);
  console.log('server                     QPS                        latency   cores  QPS/core                   lost');
  for (const label of labels) {
    const q = of(rows, label, 'qps');
    const c = of(rows, label, 'perCore');
    console.log(
      `${label.padEnd(26)} ${q.median.toFixed(0).padStart(7)} (${q.min.toFixed(0)}–${q.max.toFixed(0)})`.padEnd(52) +
        ` ${of(rows, label, 'latencyMs').median.toFixed(3).padStart(6)} ms  ${of(rows, label, 'cores').median.toFixed(2)}  ` +
        `${c.median.toFixed(0).padStart(7)} (${c.min.toFixed(0)}–${c.max.toFixed(0)})`.padEnd(26) +
        ` ${lostOf(rows, label)}`,
    );
  }
  for (const label of labels.filter((l) => l !== 'dnsmasq' && l !== SRV && l !== TXT))
    console.log(`${label} / dnsmasq, per run: QPS ${fmtSpread(ratios(rows, label, 'qps'))}, QPS per core ${fmtSpread(ratios(rows, label, 'perCore'))}`);
  for (const label of [SRV, TXT]) console.log(`${label} / weft A, per run: QPS ${fmtSpread(ratios(rows, label, 'qps', WEFT))} (EDNS)`);
  const before = labels.find((l) => l.startsWith(`${WEFT} (before`));
  if (before)
    console.log(
      `${WEFT} / ${before}, per run: QPS ${fmtSpread(ratios(rows, WEFT, 'qps', before))}, QPS per core ${fmtSpread(ratios(rows, WEFT, 'perCore', before))}`,
    );
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1] === fileURLToPath(import.meta.url)) printText(await measureAll());
