/**
 * List-then-watch (docs/architecture.md §6.2): list the host's config, watch the feed from its revision, apply each
 * delta to the model, list again on RESYNC or when a delta needs it, and reconnect with capped,
 * jittered backoff from the last applied revision — so nothing is missed or applied twice.
 *
 * It owns the in-memory model and nothing else: it never touches the kernel or the disk. Every new
 * model goes to `onModel`, which debounces reconciles and keeps the last-known-good copy.
 */
import type { HostConfig } from '../../protocol/model.ts';
import { applyChange, type FeedChange } from './apply-delta.ts';
import { ApiError, type ApiClient } from './client.ts';

export interface FollowerOptions {
  client: ApiClient;
  hostId: string;
  /** A new model: `why` is 'snapshot', 'relist', 'cursor' or the kind of the change applied (passed as `change`). */
  onModel: (config: HostConfig, why: string, change?: FeedChange) => void;
  /**
   * The API refused this host (UNAUTHENTICATED: its token is revoked, or the API's database does not
   * know it) and answered /healthz with `generation`: the agent decides whether that is another database.
   */
  onRefused?: (generation: string) => void;
  onConnection?: (state: 'connected' | 'disconnected', error?: unknown) => void;
  log?: (line: string) => void;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

/** Next reconnect delay: exponential from `base`, capped, with ±50% jitter. */
export function backoffDelay(attempt: number, base: number, cap: number, random = Math.random): number {
  const raw = Math.min(cap, base * 2 ** Math.min(attempt, 20));
  return Math.round(raw * (0.5 + random()));
}

/** Follows the feed until `stop()`; `current()` is the latest model (null before the first list). */
export function startFollower(options: FollowerOptions) {
  const { client, hostId, onModel } = options;
  const log = options.log ?? (() => {});
  const base = options.backoffBaseMs ?? 200;
  const cap = options.backoffCapMs ?? 10_000;
  const controller = new AbortController();
  let model: HostConfig | null = null;

  const list = async (why: string) => {
    try {
      model = await client.hostConfig(hostId);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED' && options.onRefused) {
        const generation = await client.generation().catch(() => null);
        if (generation) options.onRefused(generation);
      }
      throw error;
    }
    onModel(model, why);
  };

  const run = async () => {
    let attempt = 0;
    let needList = true;
    while (!controller.signal.aborted) {
      try {
        if (needList || !model) await list(model ? 'relist' : 'snapshot');
        needList = false;
        options.onConnection?.('connected');
        for await (const event of client.watch(hostId, model!.revision, controller.signal, model!.generation)) {
          attempt = 0;
          if (event.type === 'RESYNC') {
            log(`feed: RESYNC at revision ${event.revision}; listing again`);
            needList = true;
            break;
          }
          if (event.generation && event.generation !== model!.generation) {
            log(`feed: the API now answers for database generation ${event.generation} (was ${model!.generation}); listing again`);
            needList = true;
            break;
          }
          if (event.type === 'CURSOR') {
            if (event.revision > model!.revision) {
              model = { ...model!, revision: event.revision };
              onModel(model, 'cursor');
            }
            continue;
          }
          if (!event.change || event.change.revision <= model!.revision) continue; // already applied
          const result = applyChange(model!, event.change);
          if (result.kind === 'relist') {
            log(`feed: ${result.reason}; listing again`);
            needList = true;
            break;
          }
          model = result.config;
          onModel(model, event.change.kind, event.change);
        }
        if (!needList && !controller.signal.aborted) throw new Error('feed stream ended');
      } catch (error) {
        if (controller.signal.aborted) break;
        options.onConnection?.('disconnected', error);
        // Refused (a revoked token, or an API on a database that does not know this host): list again
        // next time, where the refusal is examined (onRefused) instead of resuming the watch blindly.
        if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') needList = true;
        const delay = backoffDelay(attempt++, base, cap);
        log(`feed: ${(error as Error).message}; retrying in ${delay} ms from revision ${model?.revision ?? 'none'}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  };

  const done = run();
  return {
    current: () => model,
    async stop() {
      controller.abort();
      await done;
    },
  };
}
