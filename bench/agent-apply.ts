/**
 * Part `agent`: (1) time to apply a 1,000-remote-container snapshot on the real kernel (root; the
 * approach of test/netns/scale.test.ts: one lab host with wireguard-go, one network, 1,000 remote
 * containers over 10 peers, one local container) and the cost of the unchanged pass after it;
 * (2) memory of an agent that knows 20,000 containers (bench/agent-rss-child.ts in its own process).
 * The lab's prefix is `xa`; everything it creates is removed even on failure.
 */
import { execFile, execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createExecRunner } from '../agent/exec/runner.ts';
import { createReconciler } from '../agent/reconcile/reconciler.ts';
import { Lab } from '../test/support/netns-lab.ts';
import { bigNetworkWorld } from '../test/support/model.ts';
import { type BenchRow, arg } from './table.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function applyOnKernel(command: string): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0)
    return [
      { part: 'agent', metric: 'apply 1,000-remote-container snapshot: skipped (needs root)', value: NaN, unit: '', target: '≤ 1 s', anchor: '', command },
    ];
  const lab = new Lab('xa');
  try {
    await lab.up(1);
    const h = lab.hosts[0];
    const { local, remote, configOf } = bigNetworkWorld(h, () =>
      execFileSync('wg', ['pubkey'], { input: execFileSync('wg', ['genkey']), encoding: 'utf8' }).trim(),
    );
    const cfg = configOf([local, ...remote]);
    let spawned = 0;
    const runner = createExecRunner({ prefix: ['nsenter', `--net=/run/netns/${h.ns}`], onRun: () => spawned++ });
    const rec = createReconciler({ runner, names: h.names, wgMode: 'external', privateKeyPath: h.privateKeyPath });
    const ctr = lab.container('big');
    let t0 = performance.now();
    const first = await rec.reconcile(cfg, { [local.id]: ctr });
    const applyMs = performance.now() - t0;
    if (first.failures.length) throw new Error(`apply failed: ${first.failures[0].error}`);
    const applySpawned = spawned;
    t0 = performance.now();
    const second = await rec.reconcile(cfg, { [local.id]: ctr });
    const idleMs = performance.now() - t0;
    return [
      {
        part: 'agent',
        metric: `apply 1,000-remote-container snapshot, real kernel (${first.ops.length} ops, ${first.commands} write processes, ${applySpawned} incl. reads)`,
        value: applyMs,
        unit: 'ms',
        target: '≤ 1,000 ms',
        anchor: 'one process per entry would be ~3,000 processes',
        command,
      },
      {
        part: 'agent',
        metric: `unchanged pass after it (${second.commands} writes)`,
        value: idleMs,
        unit: 'ms',
        target: '–',
        anchor: 'observe + diff only',
        command,
      },
    ];
  } finally {
    await lab.destroy();
  }
}

async function agentMemory(count: number, command: string): Promise<BenchRow[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/agent-rss-child.ts', String(count)], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  });
  const m = JSON.parse(stdout.trim().split('\n').pop()!);
  return [
    {
      part: 'agent',
      metric: `agent RSS with ${m.known} containers known (model + desired state; process started with tsx)`,
      value: m.withDesired,
      unit: 'MiB',
      target: '≤ 100 MiB',
      anchor: `of which the same process before the model: ${m.base.toFixed(0)} MiB`,
      command,
    },
    {
      part: 'agent',
      metric: `memory of the model + desired state alone (${(m.wireBytes / 1e6).toFixed(1)} MB of hostConfig JSON)`,
      value: m.withDesired - m.base,
      unit: 'MiB',
      target: '–',
      anchor: 'RSS delta after a full GC',
      command,
    },
    {
      part: 'agent',
      metric: `DNS views of the same ${m.known} names (held by the DNS daemon, a separate process)`,
      value: m.withDns - m.withDesired,
      unit: 'MiB',
      target: '–',
      anchor: 'zone + prebuilt replies',
      command,
    },
  ];
}

/** Part `agent`. */
export async function benchAgent(): Promise<BenchRow[]> {
  const count = arg('agent-containers', 20000);
  const rows = await applyOnKernel('npm run bench -- agent  # root: lab prefix xa, one host, 1,000 remote containers');
  rows.push(...(await agentMemory(count, `node --expose-gc --import tsx bench/agent-rss-child.ts ${count}`)));
  return rows;
}
