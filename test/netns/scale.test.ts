/**
 * Real kernel, root only: one host, one network with 1,000 remote containers spread over 10 peers.
 * Measures the time to apply the snapshot, the number of processes it takes, the cost of an
 * unchanged pass, and the kernel operations of one single change. Numbers are printed for the
 * closing note of issue 5 (`npx vitest run test/netns/scale.test.ts`).
 * The peers' endpoints are on the lab's private underlay; nothing leaves the lab's namespaces.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createExecRunner } from '../../agent/exec/runner';
import { createReconciler } from '../../agent/reconcile/reconciler';
import { describeRoot } from '../support/root';
import { bigNetworkWorld } from '../support/model';
import { Lab } from '../support/netns-lab.ts';

describeRoot('scale on the real kernel: a 1,000-remote-container snapshot', () => {
  const lab = new Lab('wb');
  beforeAll(async () => {
    await lab.up(1);
  }, 60_000);
  afterAll(async () => {
    await lab.destroy();
  });

  it('applies in a bounded number of processes, then costs nothing, then 3 ops per change', async () => {
    const h = lab.hosts[0];
    const { local, remote, configOf } = bigNetworkWorld(h, () =>
      execFileSync('wg', ['pubkey'], { input: execFileSync('wg', ['genkey']), encoding: 'utf8' }).trim(),
    );
    let members = [local, ...remote];
    const cfg = () => configOf(members);
    const spawned: string[][] = [];
    const runner = createExecRunner({ prefix: ['nsenter', `--net=/run/netns/${h.ns}`], onRun: (a) => spawned.push(a) });
    const rec = createReconciler({ runner, names: h.names, wgMode: 'external', privateKeyPath: h.privateKeyPath });
    const ctr = lab.container('big');

    let t0 = performance.now();
    const first = await rec.reconcile(cfg(), { [local.id]: ctr });
    const applyMs = performance.now() - t0;
    expect(first.failures).toEqual([]);
    expect(first.commands).toBeLessThanOrEqual(10);
    const applySpawned = spawned.length;

    spawned.length = 0;
    t0 = performance.now();
    const second = await rec.reconcile(cfg(), { [local.id]: ctr });
    const idleMs = performance.now() - t0;
    expect(second.ops).toEqual([]);

    members = members.filter((c) => c.id !== remote[500].id);
    spawned.length = 0;
    const change = await rec.reconcile(cfg(), { [local.id]: ctr });
    expect(change.ops.map((o) => o.kind).sort()).toEqual(['fdb.del', 'fdb.del', 'neigh.del']);
    expect(change.commands).toBe(2);

    console.log(
      [
        `1000 remote containers, real kernel: ${first.ops.length} ops in ${first.commands} write processes (${applySpawned} incl. reads), ${applyMs.toFixed(0)} ms`,
        `unchanged pass: ${second.commands} writes, ${idleMs.toFixed(0)} ms`,
        `one container removed: ${change.ops.length} kernel operations in ${change.commands} processes`,
      ].join('\n'),
    );
  }, 120_000);
});
