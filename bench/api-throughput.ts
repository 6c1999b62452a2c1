/**
 * API throughput on the embedded database: container creations per second (number + IP allocation
 * + feed row, one write transaction each) through the service layer, sequential and with 16
 * concurrent callers; and `hostConfig` latency for a host in a 1,000-container network.
 *
 *   npx tsx bench/api-throughput.ts [--containers 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHostConfig } from '../src/feed/snapshot.ts';
import { createApplication } from '../src/services/applications/create.ts';
import { createContainer } from '../src/services/containers/create.ts';
import { registerHost } from '../src/services/hosts/register.ts';
import { createProject } from '../src/services/projects/create.ts';
import { percentile } from '../src/feed/convergence.ts';
import { fakeKey, openServices } from '../test/support/api.ts';
import { type BenchRow, arg } from './table.ts';

export async function benchApiThroughput(): Promise<BenchRow[]> {
  const total = arg('containers', 2000);
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-api-'));
  const command = `npx tsx bench/api-throughput.ts --containers ${total}`;
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
      await ctx.db.read.transaction((tx) => buildHostConfig(tx, hosts[0], ctx.config.meshCidr), { behavior: 'deferred' });
      samples.push(performance.now() - s);
    }
    samples.sort((x, y) => x - y);
    opened.close();
    return [
      {
        part: 'api',
        metric: 'container creations/s, sequential',
        value: sequential,
        unit: '/s',
        target: '≥ 1,000/s',
        anchor: 'IPAM + feed row in one transaction',
        command,
      },
      {
        part: 'api',
        metric: 'container creations/s, 16 concurrent callers',
        value: concurrent,
        unit: '/s',
        target: '≥ 1,000/s',
        anchor: 'writes serialised per process',
        command,
      },
      {
        part: 'api',
        metric: `hostConfig p50, ${total}-container network`,
        value: percentile(samples, 50)!,
        unit: 'ms',
        target: '–',
        anchor: 'full snapshot incl. every member',
        command,
      },
      { part: 'api', metric: `hostConfig p99, ${total}-container network`, value: percentile(samples, 99)!, unit: 'ms', target: '–', anchor: '', command },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { toMarkdown } = await import('./table.ts');
  console.log(toMarkdown(await benchApiThroughput()));
}
