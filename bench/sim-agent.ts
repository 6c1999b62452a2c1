/**
 * One simulated host for the scale benchmark: the real follower (list-then-watch over SSE), the
 * real reconciler and reconcile loop, against a FakeHost kernel, reporting its applied revision to
 * the API like the real agent. It records, for every change it received, the time from the
 * change's commit to the end of the first reconcile pass that covered its revision.
 */
import { createApiClient, type ApiClient } from '../agent/api/client.ts';
import { startFollower } from '../agent/api/follower.ts';
import { makeNames } from '../agent/config-names.ts';
import { FakeHost } from '../agent/exec/fake-host.ts';
import type { HostConfig } from '../protocol/model.ts';
import { startReconcileLoop } from '../agent/reconcile/loop.ts';
import { createReconciler } from '../agent/reconcile/reconciler.ts';

export interface SimAgent {
  hostId: string;
  /** Commit-to-applied samples in ms, with the commit time (epoch ms) of each. */
  samples: { committed: number; ms: number }[];
  changesReceived: number;
  passes: number;
  errors: string[];
  stop(): Promise<void>;
}

/** Starts one simulated agent for `hostId` with its agent token. */
export function startSimAgent(
  apiUrl: string,
  hostId: string,
  token: string,
  publicKey: string,
  makeClient: typeof createApiClient = createApiClient,
): SimAgent {
  const names = makeNames({ prefix: 's' });
  const fake = new FakeHost({ privateKeys: { key: publicKey } });
  fake.addWgDevice(names.wg);
  const reconciler = createReconciler({ runner: fake, names, wgMode: 'external', privateKeyPath: 'key', pathExists: () => true });
  const pending: { revision: number; committed: number }[] = [];
  const agent: SimAgent = { hostId, samples: [], changesReceived: 0, passes: 0, errors: [], stop: async () => {} };
  const real = makeClient(apiUrl, token, 60_000);
  const client: ApiClient = {
    ...real,
    watch(h, since, signal, generation) {
      const inner = real.watch(h, since, signal, generation);
      return {
        async *[Symbol.asyncIterator]() {
          for await (const event of inner) {
            if (event.type === 'CHANGE' && event.change) {
              agent.changesReceived++;
              pending.push({ revision: event.change.revision, committed: Date.parse(event.change.committedAt) });
            }
            yield event;
          }
        },
      };
    },
  };
  let model: HostConfig | null = null;
  const loop = startReconcileLoop({
    reconciler,
    getConfig: () => model,
    getAttachments: () => ({}),
    debounceMs: 50, // the agent's default (WEFT_DEBOUNCE_MS)
    resyncMs: 30_000,
    onReport: async (report, applied) => {
      const now = Date.now();
      agent.passes++;
      fake.calls.length = 0; // the fake records every call; a long run must not keep them
      let kept = 0;
      for (const p of pending) {
        if (p.revision <= applied.revision) agent.samples.push({ committed: p.committed, ms: now - p.committed });
        else pending[kept++] = p;
      }
      pending.length = kept;
      if (report.failures.length && agent.errors.length < 3) agent.errors.push(report.failures[0].error);
      if (!process.env.BENCH_NO_REPORT)
        await client.report({ hostId, appliedRevision: applied.revision, applyMs: Math.round(report.durationMs) }).catch((e) => {
          if (agent.errors.length < 3) agent.errors.push(`report: ${(e as Error).message}`);
        });
    },
    onError: (e) => agent.errors.length < 3 && agent.errors.push(String(e)),
  });
  const follower = startFollower({
    client,
    hostId,
    onModel: (next, why) => {
      model = next;
      if (why !== 'cursor') loop.kick(); // like agent/agent.ts: a CURSOR moves only the revision
    },
    log: (line) => line.includes('retrying') && agent.errors.length < 3 && agent.errors.push(line),
  });
  agent.stop = async () => {
    await follower.stop();
    loop.stop();
  };
  return agent;
}
