/**
 * The raw simulated hosts of the scale bench, from the driver's side: `procs` child processes
 * (bench/consumer-child.ts, each one node process with tsx as an import hook, so its PID is the
 * one doing the work), the hosts split evenly among them. Readings sum the children's tallies and
 * counters; each child's CPU is read from /proc like the API's.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './baseline.ts';
import type { FromChild, ToChild } from './consumer-child.ts';
import type { Reading } from './sse-consumer.ts';
import { addTallies } from './sse-frames.ts';

/** utime + stime of a process, in seconds (/proc/<pid>/stat; 0 once it is gone). */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return 0;
  }
}

export type { Reading };

export interface ConsumerFleet {
  /** Resolves when every host's stream answered, or rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  read(): Promise<Reading>;
  /** CPU seconds of all the consumer processes so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface FleetOptions {
  procs: number;
  reportDebounceMs: number;
  heartbeatMs: number;
  /** The API predates the compact host feed (a baseline): watch with its query. */
  legacyWatch?: boolean;
  /** Report with POST /agent/report (the agent's way since issue 17); false: the mutation (an older baseline). */
  reportRoute?: boolean;
  /** Report the passes that date each change (protocol/agent-report.ts `passes`); false: an API from before them. */
  reportPasses?: boolean;
}

/** Starts the consumers of `hosts` against the API at `url`. */
export function startConsumerFleet(url: string, hosts: { hostId: string; token: string }[], options: FleetOptions): ConsumerFleet {
  const procs = Math.max(1, Math.min(options.procs, hosts.length || 1));
  const children: ChildProcess[] = [];
  const readyCounts: Promise<void>[] = [];
  let nextId = 0;
  const pending = new Map<number, { left: number; parts: Reading[]; resolve: (r: Reading) => void }>();
  for (let p = 0; p < procs; p++) {
    const mine = hosts.filter((_, i) => i % procs === p);
    const child = fork(join(REPO_ROOT, 'bench/consumer-child.ts'), [], {
      cwd: REPO_ROOT,
      // BENCH_CONSUMER_PROF=<dir>: a CPU profile of each consumer process, as BENCH_API_PROF for the API.
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_CONSUMER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CONSUMER_PROF}`] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    readyCounts.push(
      new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`consumer process exited (${code})`)));
        child.on('message', (m: FromChild) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'reading') {
            const waiting = pending.get(m.id);
            if (!waiting) return;
            waiting.parts.push(m);
            if (--waiting.left === 0) {
              pending.delete(m.id);
              waiting.resolve(merge(waiting.parts));
            }
          }
        });
      }),
    );
    readyCounts[p].catch(() => {});
    const start: ToChild = {
      type: 'start',
      url,
      hosts: mine,
      reportDebounceMs: options.reportDebounceMs,
      heartbeatMs: options.heartbeatMs,
      legacyWatch: options.legacyWatch,
      reportRoute: options.reportRoute,
      reportPasses: options.reportPasses,
    };
    child.send(start);
  }
  return {
    async ready(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`consumers not subscribed within ${timeoutMs} ms`)), timeoutMs)),
      );
      try {
        await Promise.race([Promise.all(readyCounts), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    read() {
      const id = nextId++;
      return new Promise<Reading>((resolve) => {
        pending.set(id, { left: children.length, parts: [], resolve });
        for (const c of children) c.send({ type: 'read', id } satisfies ToChild);
      });
    },
    cpuSeconds: () => children.reduce((s, c) => s + cpuSecondsOf(c.pid!), 0),
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const timer = setTimeout(() => (c.kill('SIGKILL'), resolve()), 3000);
              c.once('exit', () => (clearTimeout(timer), resolve()));
              c.send({ type: 'stop' } satisfies ToChild);
            }),
        ),
      );
    },
  };
}

function merge(parts: Reading[]): Reading {
  return {
    tally: addTallies(...parts.map((p) => p.tally)),
    samples: parts.flatMap((p) => p.samples),
    changes: parts.reduce((s, p) => s + p.changes, 0),
    lists: parts.reduce((s, p) => s + p.lists, 0),
    reconnects: parts.reduce((s, p) => s + p.reconnects, 0),
    reports: parts.reduce((s, p) => s + p.reports, 0),
    errors: parts.flatMap((p) => p.errors),
  };
}
