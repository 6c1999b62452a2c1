/**
 * API throughput on the embedded database: container creations per second (number + IP allocation
 * + feed row, one write transaction each) through the service layer, sequential and with 16
 * concurrent callers; and `hostConfig` latency for a host in a 1,000-container network.
 *
 * --api-baseline <rev> (or --baseline <rev>) measures the service layer of that revision too
 * (bench/baseline.ts): each side then runs in a child process of its own (this file with --root),
 * one after the other, and the baseline's rows follow the current ones.
 *
 *   npx tsx bench/api-throughput.ts [--containers 2000] [--api-baseline f4a352f]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { percentile } from '../src/feed/convergence.ts';
import { baselineArg, baselineLabel, baselineRoot, REPO_ROOT, resolveRevision } from './baseline.ts';
import { type BenchRow, arg } from './table.ts';

const load = (root: string, path: string) => import(pathToFileURL(join(root, path)).href);

/** The four measurements with the services of `root`. */
async function measure(root: string, total: number) {
  const [{ buildHostConfig }, { createApplication }, { createContainer }, { registerHost }, { createProject }, { fakeKey, openServices }] = await Promise.all([
    load(root, 'src/feed/snapshot.ts'),
    load(root, 'src/services/applications/create.ts'),
    load(root, 'src/services/containers/create.ts'),
    load(root, 'src/services/hosts/register.ts'),
    load(root, 'src/services/projects/create.ts'),
    load(root, 'test/support/api.ts'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-api-'));
  try {
    const { ctx, opened } = await openServices({
      DATABASE_URL: `file:${join(dir, 'weft.db')}`,
      DEFAULT_NETWORK_CIDR: '10.0.0.0/16',
      AUTH_HS256_SECRET: 'x'.repeat(32),
    });
    const { result: p } = await createProject(ctx, { name: 'bench' });
    const { result: a } = await createApplication(ctx, { projectId: p.projectId, name: 'app' });
    const hosts: string[] = [];
    for (let i = 0; i < 10; i++)
      hosts.push((await registerHost(ctx, { name: `h${i}`, endpoint: `192.0.2.${i + 1}:51820`, publicKey: fakeKey(i + 1) })).result.hostId);

    const half = Math.floor(total / 2);
    let t = performance.now();
    for (let i = 0; i < half; i++) await createContainer(ctx, { applicationId: a.applicationId, processType: 'web', hostId: hosts[i % 10] });
    const sequential = half / ((performance.now() - t) / 1000);

    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total - half) {
          const i = next++;
          await createContainer(ctx, { applicationId: a.applicationId, processType: 'worker', hostId: hosts[i % 10] });
        }
      }),
    );
    const concurrent = (total - half) / ((performance.now() - t) / 1000);

    // hostConfig for a host in a network of `total` containers
    const samples: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      await ctx.db.read.transaction((tx: unknown) => buildHostConfig(tx, hosts[0], ctx.config.meshCidr), { behavior: 'deferred' });
      samples.push(performance.now() - s);
    }
    samples.sort((x, y) => x - y);
    opened.close();
    return { sequential, concurrent, p50: percentile(samples, 50)!, p99: percentile(samples, 99)! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Measured = Awaited<ReturnType<typeof measure>>;

function rows(m: Measured, total: number, label: string, command: string): BenchRow[] {
  const row = (metric: string, value: number, unit: string, target = '–', anchor = ''): BenchRow => ({
    part: 'api',
    metric: `${metric}${label}`,
    value,
    unit,
    target,
    anchor,
    command,
  });
  return [
    row('container creations/s, sequential', m.sequential, '/s', '≥ 1,000/s', 'IPAM + feed row in one transaction'),
    row('container creations/s, 16 concurrent callers', m.concurrent, '/s', '≥ 1,000/s', 'writes serialised per process'),
    row(`hostConfig p50, ${total}-container network`, m.p50, 'ms', '–', 'full snapshot incl. every member'),
    row(`hostConfig p99, ${total}-container network`, m.p99, 'ms'),
  ];
}

const run = promisify(execFile);

/** `measure` in a child process of its own (this file with --root), for a fair before/after. */
async function measureApart(root: string, total: number): Promise<Measured> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'bench/api-throughput.ts'), '--containers', String(total), '--root', root, '--json'],
    {
      cwd: REPO_ROOT,
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measured;
}

export async function benchApiThroughput(): Promise<BenchRow[]> {
  const total = arg('containers', 2000);
  const baseRev = baselineArg('api');
  const command = `npx tsx bench/api-throughput.ts --containers ${total}${baseRev ? ` --api-baseline ${baseRev}` : ''}`;
  if (!baseRev) return rows(await measure(REPO_ROOT, total), total, '', command);
  const base = { label: ` ${baselineLabel(await resolveRevision(baseRev))}`, root: await baselineRoot(baseRev) };
  const now = await measureApart(REPO_ROOT, total);
  const before = await measureApart(base.root, total);
  const a = rows(now, total, '', command);
  const b = rows(before, total, base.label, command);
  return a.flatMap((r, i) => [r, b[i]]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--root');
  if (i > 0 && process.argv.includes('--json')) {
    console.log(JSON.stringify(await measure(process.argv[i + 1], arg('containers', 2000))));
  } else {
    const { toMarkdown } = await import('./table.ts');
    console.log(toMarkdown(await benchApiThroughput()));
  }
  process.exit(0);
}
