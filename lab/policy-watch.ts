/**
 * When each host's kernel takes a policy (docs/policies.md, issue 20's timing): `nft monitor` runs
 * in every host's sandbox of one network for the whole test, and each line is stamped as it
 * arrives, so "setNetworkPolicy → enforced on every host" is measured from the kernel's own
 * notifications rather than by polling. Used by test/e2e/policies.test.ts and `npm run bench -- policy`.
 * The monitors are started through `World.spawnIn`, so `World.destroy()` ends them.
 */
import type { ChildProcess } from 'node:child_process';
import type { World } from './world.ts';

const now = () => performance.now();

export class PolicyWatch {
  private readonly seen: { at: number; line: string }[][] = [];
  private readonly children: ChildProcess[] = [];

  /** Starts one monitor per host (1-based numbers) in the sandbox of network `vni`; the sandboxes must exist. */
  constructor(
    world: World,
    vni: number,
    private readonly hosts: number[],
  ) {
    for (const [i, h] of hosts.entries()) {
      this.seen[i] = [];
      const child = world.spawnIn(world.lab.hosts[h - 1].names.sandboxNs(vni), ['stdbuf', '-oL', 'nft', 'monitor']);
      let rest = '';
      child.stdout!.on('data', (d) => {
        const at = now();
        const parts = (rest + d).split('\n');
        rest = parts.pop()!;
        for (const line of parts) this.seen[i].push({ at, line });
      });
      this.children.push(child);
    }
  }

  /** Lets the monitors subscribe before anything is measured. */
  async ready(): Promise<void> {
    await new Promise((r) => setTimeout(r, 300));
  }

  /**
   * Ms from `since` (a performance.now() stamp) until every host printed a line matching `marker`
   * after `since`, per host in the order given; throws after `timeoutMs`.
   */
  async until(marker: RegExp, since: number, timeoutMs = 10_000): Promise<number[]> {
    const first = () => this.seen.map((lines) => lines.find((l) => l.at >= since && marker.test(l.line))?.at ?? null);
    for (;;) {
      const at = first();
      if (at.every((t) => t !== null)) return at.map((t) => (t as number) - since);
      if (now() - since > timeoutMs) throw new Error(`hosts ${this.hosts.filter((_, i) => at[i] === null).join(', ')} saw no ${marker} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  stop(): void {
    for (const c of this.children) if (c.exitCode === null && c.pid) process.kill(-c.pid, 'SIGTERM');
  }
}

/** A performance.now() stamp, for `until`'s `since`. */
export const stamp = now;
