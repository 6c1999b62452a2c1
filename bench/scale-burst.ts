/**
 * The scale bench's burst: `burst` container creations over GraphQL, 16 requests in flight, while
 * the hosts watch; then a drain until nothing new is applied for 2 s. It reads the API's CPU, the
 * consumers' (their processes) and this driver's (the load generator and the full agents) over
 * burst + drain, and the consumers' byte tally at the start, at 10% and 90% of the burst and at the end.
 */
import { type BenchApi, gql } from './api-process.ts';
import type { ConsumerFleet, Reading } from './consumers.ts';
import { hostOf, NETWORKS, type Seeded } from './scale-seed.ts';
import type { SimAgent } from './sim-agent.ts';
import type { Tally } from './sse-frames.ts';

export interface BurstResult {
  creates: number;
  burstS: number;
  wallS: number;
  apiCpu: number;
  consumerCpu: number;
  driverCpu: number;
  /** commit epoch ms → commit→applied ms, raw consumers and full agents apart. */
  samples: { committed: number; ms: number }[];
  fullSamples: { committed: number; ms: number }[];
  /** Commit times of the 10% and 90% marks of the burst. */
  tEarly: number;
  tLate: number;
  /** Consumer byte tallies (cumulative readings) at the start, at 10% and 90% of the burst, at its end and after the drain. */
  tallies: { start: Tally; early: Tally; late: Tally; burstEnd: Tally; end: Tally };
  /** When those readings were asked for (epoch ms), and every commit's time. */
  at: { start: number; early: number; late: number; burstEnd: number; end: number };
  commitTimes: number[];
  /** Change events delivered (consumers + full agents) over burst + drain. */
  delivered: number;
  fullDelivered: number;
  lists: number;
  reconnects: number;
  reports: number;
  errors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runBurst(o: {
  api: BenchApi;
  seeded: Seeded;
  n: number;
  total: number;
  burst: number;
  burstSeconds: number;
  fleet: ConsumerFleet;
  agents: SimAgent[];
}): Promise<BurstResult> {
  const { api, seeded, fleet, agents } = o;
  const hostCount = seeded.hostIds.length;
  await fleet.read(); // drop the samples of the set-up
  for (const a of agents) a.samples.length = 0;
  const fullDelivered0 = agents.reduce((s, a) => s + a.changesReceived, 0);
  const start = await fleet.read();
  const cpu0 = { api: api.cpuSeconds(), consumers: fleet.cpuSeconds(), driver: process.cpuUsage() };
  const commits: number[] = [];
  const t0 = Date.now();
  const first = o.total - o.burst;
  let next = first;
  // marks at 10% and 90% of the burst's creations, or of --scale-burst-seconds when that comes first
  const failedCreates: string[] = [];
  const marks: Promise<Reading>[] = [];
  const markedAt: number[] = [];
  const mark = (i: number) => marks.length === i && markedAt.push(Date.now()) && marks.push(fleet.read());
  const timers = [0.1, 0.9].map((f, i) => setTimeout(() => mark(i), f * o.burstSeconds * 1000));
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < o.total && Date.now() - t0 < o.burstSeconds * 1000) {
        const k = next++;
        if (k === first + Math.floor(o.burst * 0.1)) mark(0);
        if (k === first + Math.floor(o.burst * 0.9)) mark(1);
        try {
          await gql(
            api.url,
            api.admin,
            `mutation($a: ID!, $h: ID!) { createContainer(input: { applicationId: $a, processType: "web", hostId: $h }) { revision } }`,
            { a: seeded.appIds[k % NETWORKS], h: seeded.hostIds[hostOf(k, hostCount)] },
          );
          commits.push(Date.now());
        } catch (error) {
          // an API too busy to answer (a reset connection): counted, not fatal; the creation may or may not have committed
          failedCreates.push(String((error as Error).cause ?? (error as Error).message).slice(0, 120));
        }
      }
    }),
  );
  const burstS = (Date.now() - t0) / 1000;
  for (const t of timers) clearTimeout(t);
  while (marks.length < 3) mark(marks.length); // 10% and 90% when the burst was faster than its timers, and its end
  // drain: until nothing new is applied for 2 s (bounded at 120 s)
  const collected: number[] = [];
  const fullSeen = () => agents.reduce((s, a) => s + a.samples.length, 0);
  let last = -1;
  for (let quiet = 0, i = 0; quiet < 20 && i < 1200; i++) {
    await sleep(100);
    if (i % 5 === 4) {
      const r = await fleet.read();
      for (const v of r.samples) collected.push(v);
    }
    const seen = collected.length + fullSeen();
    quiet = seen === last ? quiet + 1 : 0;
    last = seen;
  }
  const wallS = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0.driver);
  const apiCpu = api.cpuSeconds() - cpu0.api;
  const consumerCpu = fleet.cpuSeconds() - cpu0.consumers;
  const endAt = Date.now();
  const end = await fleet.read();
  for (const v of end.samples) collected.push(v);
  const [early, late, burstEnd] = await Promise.all(marks);
  for (const r of [early, late, burstEnd]) for (const v of r.samples) collected.push(v);
  const samples: { committed: number; ms: number }[] = [];
  for (let i = 0; i < collected.length; i += 2) samples.push({ committed: collected[i], ms: collected[i + 1] });
  const fullDelivered = agents.reduce((s, a) => s + a.changesReceived, 0) - fullDelivered0;
  return {
    creates: commits.length,
    burstS,
    wallS,
    apiCpu,
    consumerCpu,
    driverCpu: (cpu.user + cpu.system) / 1e6,
    samples,
    fullSamples: agents.flatMap((a) => a.samples),
    tEarly: commits[Math.floor(commits.length * 0.1)] ?? t0,
    tLate: commits[Math.floor(commits.length * 0.9)] ?? t0,
    tallies: { start: start.tally, early: early.tally, late: late.tally, burstEnd: burstEnd.tally, end: end.tally },
    at: { start: t0, early: markedAt[0], late: markedAt[1], burstEnd: markedAt[2], end: endAt },
    commitTimes: commits,
    delivered: end.changes - start.changes + fullDelivered,
    fullDelivered,
    lists: end.lists - start.lists,
    reconnects: end.reconnects - start.reconnects,
    reports: end.reports - start.reports,
    errors: [
      ...(failedCreates.length ? [`${failedCreates.length} creations failed (${failedCreates[0]})`] : []),
      ...end.errors,
      ...agents.flatMap((a) => a.errors),
    ],
  };
}
