/**
 * Part `fleet` (root): the timings of fleet safety (issue 14, docs/architecture.md §8.4, §8.9) in the
 * 3-host lab with real agents (lab/world.ts, prefix `xf`):
 * - drain → safe to stop: `drainContainer`, then `drainStatus` polled every 20 ms until `safeToStopAt`
 *   is set; the floor is the network's DNS TTL (5 s) counted from the moment every host applied it;
 * - a host's death → its container's name gone from another host's DNS (HOST_DOWN_AFTER_SECONDS 30,
 *   heartbeats every 5 s), and its return after a restart.
 * Everything the lab made is removed, even on failure.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { World } from '../lab/world.ts';
import { percentile } from '../src/feed/convergence.ts';
import { arg, type BenchRow, rowsOf } from './table.ts';

const run = promisify(execFile);

export async function benchFleet(): Promise<BenchRow[]> {
  const drains = arg('fleet-drains', 5);
  const command = `npm run bench -- fleet --fleet-drains ${drains}  # root`;
  const row = rowsOf('fleet', command);
  if (process.getuid?.() !== 0) return [row('skipped: needs root (network namespaces, wireguard-go)', NaN, '')];
  const world = new World('xf');
  try {
    await world.up(3);
    const { networkId, appId } = await world.project('fleet', ['web']);
    const probe = await world.runContainer(appId, 'web', 1);
    await world.runContainer(appId, 'web', 2);
    const victim = await world.runContainer(appId, 'web', 3);
    await world.converged(networkId, 30_000);
    const gateway: string = (await world.gql(`query($n: ID!) { network(id: $n) { gateway } }`, { n: networkId })).network.gateway;
    const resolves = async (name: string) =>
      (
        await run('ip', ['netns', 'exec', probe.ns, 'dig', `@${gateway}`, '+short', '+time=1', '+tries=1', name]).then(
          (r) => r.stdout,
          () => '',
        )
      ).trim() !== '';

    const toSafe: number[] = [];
    for (let i = 0; i < drains; i++) {
      const c = await world.runContainer(appId, 'web', 2);
      await world.converged(networkId, 30_000);
      const drained = await world.gql(`mutation($id: ID!) { drainContainer(id: $id) { drain { revision } } }`, { id: c.id });
      const committed = Date.now(); // the mutation's answer: its commit happened within the round trip
      let safe: number | null = null;
      while (safe === null) {
        await new Promise((r) => setTimeout(r, 20));
        safe = (await world.gql(`query($id: ID!) { drainStatus(containerId: $id) { safeToStopAt } }`, { id: c.id })).drainStatus.safeToStopAt;
      }
      toSafe.push(Date.now() - committed);
      if (!drained.drainContainer.drain.revision) throw new Error('drain without a revision');
      await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.id });
    }

    const died = Date.now();
    await world.killHost(3);
    while ((await resolves(victim.hostname)) && Date.now() - died < 90_000) await new Promise((r) => setTimeout(r, 100));
    const goneMs = Date.now() - died;
    await world.reviveHost(3);
    const restarted = Date.now();
    while (!(await resolves(victim.hostname)) && Date.now() - restarted < 60_000) await new Promise((r) => setTimeout(r, 100));
    const backMs = Date.now() - restarted;

    const sorted = [...toSafe].sort((a, b) => a - b);
    return [
      row(
        `drain → safeToStopAt set, p50 (${drains} drains)`,
        percentile(sorted, 50)!,
        'ms',
        '≥ TTL 5 s, ≤ TTL + 1 s',
        'kubernetes#89263: preStop sleep guesses instead',
      ),
      row('drain → safeToStopAt set, max', sorted.at(-1)!, 'ms', '≤ TTL + 1 s'),
      row('host death → its name gone from another host’s DNS', goneMs, 'ms', '≤ HOST_DOWN_AFTER_SECONDS + TTL = 35 s', 'issue 14; heartbeats every 5 s'),
      row('agent restart → the name answers again', backMs, 'ms', '–'),
    ];
  } finally {
    await world.destroy();
  }
}
