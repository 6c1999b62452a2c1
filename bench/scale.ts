/**
 * Part `scale`: the API with 100 … 1,000 hosts watching, by simulation. The API runs in a child
 * process (its CPU and RSS read from /proc). Each watching host is either a raw consumer
 * (bench/sse-consumer.ts: the agent's SSE request and real delta parser, no kernel, no reconcile),
 * run in separate processes (bench/consumer-child.ts) so their CPU is measured apart from this
 * driver and the API, or — for the first --scale-full-agents hosts (20) — a full simulated agent in
 * this process (bench/sim-agent.ts: the real follower, reconciler and loop against a FakeHost), as
 * a check that the full path keeps up. Then a scale-up burst creates containers through GraphQL,
 * 16 requests in flight.
 *
 * Layout: H = the largest step's host count (1,000) hosts; 200 projects, one network each, one
 * application; each network grows to containers/200 containers (100 for 20,000) spread evenly over
 * 10 hosts; network j uses hosts (10j … 10j+9) mod H. So each host is a member of 2 networks, knows
 * ~200 containers and has ~18 peers. Containers are created round-robin over the networks, so all
 * networks grow together. The first containers − burst are seeded in-process before the API
 * starts (bench/scale-seed.ts, copied per step); the last `burst` (default 2,000: every network
 * grows from 90 to 100) are the scale-up burst, created over GraphQL while the hosts watch. A
 * step with N < H hosts watching runs them for hosts 0…N−1 only; the others are silent members.
 * A step of 0 measures the commit's own cost, which the other steps' rows then set apart.
 *
 * --scale-baseline <rev> (or --baseline <rev>) runs every step a second time against the API of
 * that revision (bench/baseline.ts), seeded by its own services, and prints its rows beside;
 * with --scale-only-baseline, only the baseline's.
 *
 * --scale-rounds <R> runs every step R times (each round all steps, both trees interleaved) and adds
 * the median creation rate of each step and the median of the rounds' ratios (scale-rows.ts
 * `roundRows`): one run's ratio moves by a quarter with this VM's noise.
 *
 *   npm run bench -- scale [--scale-agents 100,300,1000] [--scale-containers 20000] [--scale-burst 2000]
 *     [--scale-burst-seconds 120] [--scale-full-agents 20] [--scale-consumer-procs 1] [--scale-baseline f4a352f]
 *     [--scale-rounds 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_SECRET, retried, startBenchApi } from './api-process.ts';
import { agentClientOf, baselineArg, consumerDialect, baselineLabel, baselineRoot, REPO_ROOT, resolveRevision } from './baseline.ts';
import { startConsumerFleet } from './consumers.ts';
import { runBurst } from './scale-burst.ts';
import { type Failed, roundRows, type StepResult, stepRows } from './scale-rows.ts';
import { seedScale, type Seeded } from './scale-seed.ts';
import { startSimAgent, type SimAgent } from './sim-agent.ts';
import { type BenchRow, arg } from './table.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Settings {
  total: number;
  burst: number;
  burstSeconds: number;
  fullAgents: number;
  procs: number;
  idleSeconds: number;
  heartbeatMs: number;
  /** How many times every step runs (`--scale-rounds`); the rates' medians come after the first round's rows. */
  rounds: number;
}

async function step(n: number, s: Settings, seedFile: string, seeded: Seeded, root: string): Promise<StepResult> {
  // Liveness off the path: without heartbeats (see --scale-heartbeat-ms) a host that waits for 1,000
  // others to subscribe would go DOWN after 30 s, and host.down/host.up rows would join the burst.
  const api = await startBenchApi({ HOST_DOWN_AFTER_SECONDS: String(s.heartbeatMs ? 30 : 3600) }, seedFile, root);
  const full = Math.min(s.fullAgents, n);
  const agents: SimAgent[] = [];
  const hosts = seeded.hostIds.slice(full, n).map((hostId, i) => ({ hostId, token: seeded.tokens[full + i] }));
  const fleet = startConsumerFleet(api.url, hosts, { procs: s.procs, reportDebounceMs: 50, heartbeatMs: s.heartbeatMs, ...consumerDialect(root) });
  try {
    const makeClient = await agentClientOf(root); // the full agents read each API with its own revision's client
    for (let i = 0; i < full; i++) agents.push(startSimAgent(api.url, seeded.hostIds[i], seeded.tokens[i], seeded.publicKeys[i], makeClient));
    await fleet.ready(300_000); // an API that polls per stream may take minutes to answer 1,000 lists and subscriptions
    for (let i = 0; i < 600 && agents.some((a) => a.passes === 0); i++) await sleep(100);
    if (agents.some((a) => a.passes === 0)) throw new Error(`only ${agents.filter((a) => a.passes > 0).length}/${full} full agents completed a pass`);
    // idle: every stream open, nothing committed
    await sleep(1000);
    const idle0 = api.cpuSeconds();
    await sleep(s.idleSeconds * 1000);
    const idleCores = (api.cpuSeconds() - idle0) / s.idleSeconds;
    const burst = await runBurst({ api, seeded, n, total: s.total, burst: s.burst, burstSeconds: s.burstSeconds, fleet, agents });
    const errors = [...burst.errors];
    if (retried.internal) errors.unshift(`${retried.internal} masked internal errors retried by the load generator`);
    retried.internal = 0;
    return { ...burst, agents: n, full, idleCores, rss: api.rss(), note: errors.length ? `${errors.length} errors, first: ${errors[0].slice(0, 120)}` : '' };
  } finally {
    await fleet.stop();
    await Promise.all(agents.map((a) => a.stop().catch(() => {})));
    await api.stop();
  }
}

/** Runs each step (and the baseline's, when asked) and returns the rows. */
export async function benchScale(): Promise<BenchRow[]> {
  const stepsArg = process.argv[process.argv.indexOf('--scale-agents') + 1] ?? '';
  const steps = process.argv.includes('--scale-agents') && /^[\d,]+$/.test(stepsArg) ? stepsArg.split(',').map(Number) : [100, 300, 1000];
  const total = arg('scale-containers', 20000);
  const s: Settings = {
    total,
    burst: Math.min(total, arg('scale-burst', 2000)),
    burstSeconds: arg('scale-burst-seconds', 120),
    fullAgents: arg('scale-full-agents', 20),
    procs: arg('scale-consumer-procs', 1),
    idleSeconds: arg('scale-idle-seconds', 5),
    heartbeatMs: arg('scale-heartbeat-ms', 0),
    rounds: Math.max(1, arg('scale-rounds', 1)),
  };
  const baseRev = baselineArg('scale');
  const base = baseRev ? { sha: await resolveRevision(baseRev), root: await baselineRoot(baseRev) } : null;
  const hostCount = Math.max(...steps);
  const command =
    `npm run bench -- scale --scale-agents ${steps.join(',')} --scale-containers ${total} --scale-burst ${s.burst} --scale-burst-seconds ${s.burstSeconds}` +
    (s.fullAgents !== 20 ? ` --scale-full-agents ${s.fullAgents}` : '') +
    (s.procs !== 1 ? ` --scale-consumer-procs ${s.procs}` : '') +
    (s.heartbeatMs ? ` --scale-heartbeat-ms ${s.heartbeatMs}` : '') +
    (s.rounds > 1 ? ` --scale-rounds ${s.rounds}` : '') +
    (base ? ` --scale-baseline ${baseRev}` : '') +
    (base && process.argv.includes('--scale-only-baseline') ? ' --scale-only-baseline' : '');
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-scale-'));
  try {
    const roots = [
      ...(base && process.argv.includes('--scale-only-baseline') ? [] : [{ label: '', root: REPO_ROOT }]),
      ...(base ? [{ label: ` ${baselineLabel(base.sha)}`, root: base.root }] : []),
    ];
    const seeds: { seedFile: string; seeded: Seeded }[] = [];
    for (const [i, r] of roots.entries()) {
      const seedFile = join(dir, `seed-${i}.db`);
      console.error(`bench scale: seeding ${hostCount} hosts, 200 networks, ${total - s.burst} containers${r.label} …`);
      const t0 = Date.now();
      seeds.push({ seedFile, seeded: await seedScale(seedFile, BENCH_SECRET, hostCount, total - s.burst, r.root) });
      rows.push({
        part: 'scale',
        metric: `seed: ${hostCount} hosts, 200 networks, ${total - s.burst} containers through the service layer${r.label}`,
        value: (total - s.burst) / ((Date.now() - t0) / 1000),
        unit: 'creations/s',
        target: '–',
        anchor: 'in-process, embedded DB, before the API starts',
        command,
      });
    }
    // rounds[round][api][step]: every round runs every step of every API, interleaved as in one run.
    const rounds: (StepResult | Failed)[][][] = [];
    for (let round = 1; round <= s.rounds; round++) {
      const results: (StepResult | Failed)[][] = roots.map(() => []);
      for (const n of steps)
        for (const [i, r] of roots.entries()) {
          const of = s.rounds > 1 ? ` (round ${round} of ${s.rounds})` : '';
          console.error(`bench scale: ${n} hosts watching${r.label}${of}, burst of ${s.burst} to ${total} containers …`);
          results[i].push(
            await step(n, s, seeds[i].seedFile, seeds[i].seeded, r.root).catch((e) => ({ agents: n, failed: (e as Error).message.slice(0, 200) })),
          );
        }
      rounds.push(results);
    }
    const labels = roots.map((r) => r.label);
    // Every row of the first round; with more rounds, the creation rates and their ratio over all of them.
    rows.push(...stepRows(rounds[0], labels, command, s.burst));
    if (s.rounds > 1) rows.push(...roundRows(rounds, labels, command));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
