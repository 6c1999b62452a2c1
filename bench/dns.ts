/**
 * DNS benchmark: dnsperf against Weft's server and against dnsmasq serving the same names, on
 * loopback, in one run. Prints QPS, average latency, server cores used, QPS per core, and ratios.
 *
 *   node bench/dns.ts [--names 1000] [--seconds 10] [--clients 16] [--runs 1] [--edns]
 *
 * Also part `dns` of `npm run bench` (benchDns returns the same figures as BenchRows).
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
import { benchNetwork } from './dns-names.ts';
import { type BenchRow, arg, rowsOf } from './table.ts';

const run = promisify(execFile);
const NAMES = arg('names', 1000),
  SECONDS = arg('seconds', 10),
  CLIENTS = arg('clients', 16),
  RUNS = arg('runs', 1);
const EDNS = process.argv.includes('--edns');

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

async function measure(label: string, pid: number, port: number, queries: string) {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(SECONDS), '-c', String(CLIENTS), '-q', '100'];
  if (EDNS) args.push('-e');
  const { stdout } = await run('dnsperf', args, { maxBuffer: 1 << 24 });
  const wall = (performance.now() - t0) / 1000;
  const cores = (cpuSeconds(pid) - cpu0) / wall;
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1]);
  const latencyMs = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(stdout)?.[1]) * 1000;
  const lost = /Queries lost:\s+(\d+)/.exec(stdout)?.[1];
  return { label, qps, latencyMs, cores, perCore: qps / cores, lost: Number(lost) };
}

type Measured = Awaited<ReturnType<typeof measure>>;

async function main(dir: string, children: ChildProcess[]): Promise<Measured[]> {
  const model = benchNetwork(NAMES);
  const hosts = model.containers.map((c) => `${c.ip} ${c.hostname}`).join('\n') + '\n';
  writeFileSync(join(dir, 'hosts'), hosts);
  const queries = join(dir, 'queries');
  writeFileSync(queries, model.containers.map((c) => `${c.hostname} A`).join('\n') + '\n');
  const [weftPort, maskPort] = [25353 + (process.pid % 1000), 26353 + (process.pid % 1000)];

  const weft = spawn(process.execPath, [fileURLToPath(new URL('./dns-server.ts', import.meta.url)), String(weftPort), String(NAMES)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(weft);
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
  await Promise.all([waitReady(weft, weftPort), waitReady(mask, maskPort)]);

  const rows: Measured[] = [];
  for (let r = 0; r < RUNS; r++) {
    rows.push(await measure('dnsmasq', mask.pid!, maskPort, queries));
    rows.push(await measure('weft', weft.pid!, weftPort, queries));
  }
  return rows;
}

const medianOf = (rows: Measured[], label: string, key: 'qps' | 'latencyMs' | 'cores' | 'perCore') => {
  const v = rows
    .filter((x) => x.label === label)
    .map((x) => x[key])
    .sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
};

/** Runs both servers under dnsperf (loopback only) and always stops them and removes the temp dir. */
async function measureBoth(): Promise<Measured[]> {
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

/** Part `dns`: Weft's QPS, latency and QPS per core next to dnsmasq's, and the ratios. */
export async function benchDns(): Promise<BenchRow[]> {
  const rows = await measureBoth();
  const command = `node bench/dns.ts --names ${NAMES} --seconds ${SECONDS} --clients ${CLIENTS} --runs ${RUNS}${EDNS ? ' --edns' : ''}`;
  const m = (label: string, key: 'qps' | 'latencyMs' | 'cores' | 'perCore') => medianOf(rows, label, key);
  const lost = (label: string) => rows.filter((x) => x.label === label).reduce((a, x) => a + x.lost, 0);
  const row = rowsOf('dns', command);
  return [
    row('Weft DNS QPS (dnsperf, loopback)', m('weft', 'qps'), 'q/s', '–', `dnsmasq ${Math.round(m('dnsmasq', 'qps'))} q/s, same names`),
    row('Weft DNS average latency', m('weft', 'latencyMs'), 'ms', '–', `dnsmasq ${m('dnsmasq', 'latencyMs').toFixed(3)} ms`),
    row('QPS ratio Weft / dnsmasq', m('weft', 'qps') / m('dnsmasq', 'qps'), '×', '–', `lost: weft ${lost('weft')}, dnsmasq ${lost('dnsmasq')}`),
    row(
      'QPS-per-core ratio Weft / dnsmasq',
      m('weft', 'perCore') / m('dnsmasq', 'perCore'),
      '×',
      '–',
      `weft ${Math.round(m('weft', 'perCore'))}/core, dnsmasq ${Math.round(m('dnsmasq', 'perCore'))}/core`,
    ),
  ];
}

function printText(rows: Measured[]): void {
  const median = (label: string, key: 'qps' | 'latencyMs' | 'cores' | 'perCore') => medianOf(rows, label, key);
  console.log(`dnsperf -l ${SECONDS} -c ${CLIENTS} -q 100${EDNS ? ' -e' : ''}, ${NAMES} names, ${RUNS} run(s), medians; node ${process.version}`);
  console.log('server    QPS       latency   cores  QPS/core  lost');
  for (const label of ['dnsmasq', 'weft']) {
    const lost = rows.filter((x) => x.label === label).reduce((a, x) => a + x.lost, 0);
    console.log(
      `${label.padEnd(9)} ${median(label, 'qps').toFixed(0).padStart(7)}  ${median(label, 'latencyMs').toFixed(3).padStart(6)} ms  ${median(label, 'cores').toFixed(2)}  ${median(label, 'perCore').toFixed(0).padStart(7)}  ${lost}`,
    );
  }
  console.log(
    `ratio weft/dnsmasq: QPS ${(median('weft', 'qps') / median('dnsmasq', 'qps')).toFixed(2)}×, QPS per core ${(median('weft', 'perCore') / median('dnsmasq', 'perCore')).toFixed(2)}×`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) printText(await measureBoth());
