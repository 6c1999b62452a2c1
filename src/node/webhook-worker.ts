/**
 * Node-only: the webhook background worker. It runs a delivery step whenever the feed hub wakes it
 * (a commit in this process, or the polling floor of FEED_POLL_MS, which also paces retries), and
 * after each attempt finishes. Attempts run detached from the loop, so a receiver that hangs until
 * WEBHOOK_TIMEOUT_MS holds up only its own endpoint. Housekeeping runs once a minute. Several API
 * processes may each run one: claims are leased in the database.
 */
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { FeedHub } from '../feed/hub.ts';
import { type AttemptOutcome, attemptDelivery, claimDueDeliveries, type DeliveryDeps } from '../webhooks/deliver.ts';
import { webhookHousekeeping } from '../webhooks/housekeeping.ts';
import type { Sender } from '../webhooks/send.ts';
import { createNodeSender } from './webhook-sender.ts';

export interface WebhookWorker {
  /** Run a step now (e.g. right after a commit from another code path). */
  kick(): void;
  /** Stops the loop and aborts attempts in flight; their leases expire and they are sent again later. */
  close(): Promise<void>;
}

const HOUSEKEEPING_MS = 60_000;

/** Starts the worker over the API's database and hub. */
export function startWebhookWorker(options: {
  db: Database;
  hub: FeedHub;
  config: Config;
  log: (line: string) => void;
  send?: Sender;
  /** Each recorded attempt's outcome (metrics). */
  onOutcome?: (outcome: AttemptOutcome) => void;
}): WebhookWorker {
  const { db, hub, config, log } = options;
  const stop = new AbortController();
  const deps: DeliveryDeps = { db, settings: config.webhooks, send: options.send ?? createNodeSender(config.webhooks), log, signal: stop.signal };
  const inFlight = new Set<Promise<unknown>>();
  let wake: () => void = () => {};
  const kick = () => wake();
  let lastHousekeeping = 0;

  const step = async () => {
    const now = Date.now();
    if (now - lastHousekeeping >= HOUSEKEEPING_MS) {
      lastHousekeeping = now;
      await webhookHousekeeping(db, now - config.feedRetentionMs);
    }
    for (const claimed of await claimDueDeliveries(deps, now)) {
      const attempt: Promise<unknown> = attemptDelivery(deps, claimed, now)
        .then((outcome) => options.onOutcome?.(outcome))
        .catch((error) => log(`webhook attempt ${claimed.delivery.id} not recorded: ${(error as Error).message}`))
        .finally(() => {
          inFlight.delete(attempt);
          kick();
        });
      inFlight.add(attempt);
    }
  };

  const loop = (async () => {
    while (!stop.signal.aborted) {
      // Listen before stepping, so a commit made while the step runs wakes the next one at once.
      const sleep = new AbortController();
      wake = () => sleep.abort();
      const woken = hub.wait(AbortSignal.any([sleep.signal, stop.signal]));
      try {
        await step();
      } catch (error) {
        if (!stop.signal.aborted) log(`webhook delivery step failed: ${(error as Error).message}`);
      }
      await woken;
    }
  })();

  return {
    kick,
    async close() {
      stop.abort();
      await loop;
      await Promise.allSettled([...inFlight]);
    },
  };
}
