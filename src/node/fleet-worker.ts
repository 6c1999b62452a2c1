/**
 * Node-only: the fleet sweep. Every FLEET_SWEEP_MS it runs host liveness (DOWN/UP with the
 * partition guard) and advances drains (container.drained once safe to stop), in that order:
 * a host going DOWN may be the one a drain was waiting for. Several API processes may each run
 * one: each sweep is one write transaction that re-reads what it decides on.
 * The Worker runs the same two services from its scheduled handler.
 */
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import { settleDrains } from '../services/containers/drain.ts';
import { sweepLiveness } from '../services/hosts/liveness.ts';
import type { ServiceContext } from '../services/context.ts';

export interface FleetWorker {
  close(): Promise<void>;
}

export function startFleetWorker(options: { db: Database; config: Config; log: (line: string) => void; now?: () => number }): FleetWorker {
  const { log } = options;
  const ctx: ServiceContext = { db: options.db, config: options.config, now: options.now ?? Date.now };
  let partitioned = false;
  let running: Promise<void> | null = null;
  const startedAt = ctx.now(); // silence from before this process ran is not the hosts' (§8.4)
  const sweep = async () => {
    const { result } = await sweepLiveness(ctx, startedAt);
    if (result.partitioned !== partitioned) {
      partitioned = result.partitioned;
      log(
        partitioned
          ? `liveness: ${result.wouldGoDown.length} hosts fell silent at once (more than ${Math.round(options.config.fleet.maxDownFraction * 100)}%): assuming this API is cut off, marking nobody DOWN (${result.wouldGoDown.join(', ')})`
          : `liveness: the partition guard is off again; a host still silent goes DOWN once silent for ${options.config.fleet.downAfterMs / 1000} s past the guard's last hold`,
      );
    }
    for (const id of result.down) log(`liveness: host ${id} is DOWN (silent for ${options.config.fleet.downAfterMs / 1000} s): its containers leave DNS`);
    for (const id of result.up) log(`liveness: host ${id} is UP again`);
    const drains = await settleDrains(ctx);
    for (const id of drains.result.drained) log(`drain: ${id} is safe to stop`);
  };
  const timer = setInterval(() => {
    if (running) return; // a slow sweep is never overlapped
    running = sweep()
      .catch((e) => log(`fleet sweep failed: ${(e as Error).message}`))
      .finally(() => (running = null));
  }, options.config.fleet.sweepMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
