/**
 * What the demo prints: steps stamped with the time since start, and watchers that make changes
 * visible as they happen (a container's DNS answers, each host's convergence).
 */
import { execFile } from 'node:child_process';
import type { World, WorldContainer } from '../lab/world.ts';

const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s]`;

/** A numbered step heading. */
export function step(title: string): void {
  console.log(`\n${stamp()} ${title}`);
}

/** A detail line under the current step. */
export function say(line: string): void {
  console.log(`          ${line}`);
}

/** Milliseconds since `start`, as text. */
export const since = (start: number) => `${Date.now() - start} ms`;

/** `dig +short` from inside a container (its resolver is its network's gateway). */
export function digShort(c: WorldContainer, name: string): Promise<string[]> {
  return new Promise((r) =>
    execFile('ip', ['netns', 'exec', c.ns, 'dig', '+short', '+time=1', '+tries=1', name], (_e, out) => r(out.trim().split('\n').filter(Boolean).sort())),
  );
}

/** Polls `name` from container `c` every 50 ms and prints each new answer until stopped. */
export function watchDns(c: WorldContainer, name: string, label: string) {
  let last = '';
  let stopped = false;
  let start = Date.now();
  const loop = (async () => {
    while (!stopped) {
      const answer = (await digShort(c, name)).join(' ') || '(no address)';
      if (answer !== last) {
        say(`DNS ${label} from host ${c.host} → ${answer}${last ? `   (+${since(start)})` : ''}`);
        last = answer;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    /** Restarts the "+N ms" clock (call right before a change). */
    mark: () => (start = Date.now()),
    /** Waits until the answer has `count` addresses (or 10 s). */
    async until(count: number) {
      const end = Date.now() + 10_000;
      while (Date.now() < end && (last === '(no address)' ? 0 : last.split(' ').length) !== count) await new Promise((r) => setTimeout(r, 20));
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Prints when each host has applied the network's head revision, with the time since `start`. */
export async function convergence(world: World, networkId: string, start: number, network = ''): Promise<void> {
  const seen = new Set<string>();
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const c = (
      await world.gql(`query($n: ID!) { network(id: $n) { convergence { converged headRevision hosts { hostName appliedRevision } } } }`, { n: networkId })
    ).network.convergence;
    for (const h of c.hosts as { hostName: string; appliedRevision: number }[]) {
      if (h.appliedRevision >= c.headRevision && !seen.has(h.hostName)) {
        seen.add(h.hostName);
        say(`${h.hostName} applied ${network ? `${network}'s ` : ''}revision ${c.headRevision}   (+${since(start)})`);
      }
    }
    if (c.converged) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  say('(not converged after 30 s)');
}
