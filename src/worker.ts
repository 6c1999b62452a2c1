/**
 * Cloudflare Workers entry point (docs/workers.md): the same Hono app and schema as on Node, over a
 * remote libSQL through `@libsql/client/web`. Configuration is parsed once per isolate from the
 * Worker's env; feed wake-ups go through Durable Object hubs; after a commit the first webhook
 * attempt runs in `waitUntil`, and the Cron Trigger runs retries and retention. Migrations are never
 * run here (`npm run db:migrate` before deploy).
 */
import { createClient } from '@libsql/client/web';
import { waitUntil } from 'cloudflare:workers';
import { createApp } from './app.ts';
import { loadSigningKeys } from './auth/keys.ts';
import { parseConfig } from './config.ts';
import { createDatabase, type Database } from './db/client.ts';
import { changesOf, notifyCommitted } from './feed/hub.ts';
import { compactFeed } from './feed/compact.ts';
import { createDurableFeedHub } from './feed/hub-durable.ts';
import type { HubNamespace } from './feed/hub-durable-object.ts';
import { type DeliveryDeps, runDeliveryPass } from './webhooks/deliver.ts';
import { webhookHousekeeping } from './webhooks/housekeeping.ts';
import { settleDrains } from './services/containers/drain.ts';
import { sweepLiveness } from './services/hosts/liveness.ts';

export { FeedHubObject } from './feed/hub-durable-object.ts';

export interface Env {
  FEED_HUB: DurableObjectNamespace;
  [name: string]: unknown;
}

interface Runtime {
  app: ReturnType<typeof createApp>['app'];
  db: Database;
  config: ReturnType<typeof parseConfig>;
  webhooks: DeliveryDeps;
}

let runtime: Promise<Runtime> | undefined;

/** Only the string bindings are configuration; objects (the Durable Object namespace) are not. */
const stringVars = (env: Env) => Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));

async function build(env: Env): Promise<Runtime> {
  const config = parseConfig(stringVars(env));
  if (!/^(libsql|https?|wss?):/.test(config.databaseUrl)) throw new Error('DATABASE_URL must be a remote libSQL URL (libsql://, https://) on Workers');
  const keys = await loadSigningKeys(config.auth);
  const client = createClient({ url: config.databaseUrl, authToken: config.databaseAuthToken });
  const log = (line: string) => console.warn(line);
  const hub = createDurableFeedHub({
    namespace: env.FEED_HUB as unknown as HubNamespace,
    db: () => db,
    pollMs: config.feedPollMs,
    cursorQuietMs: config.feedCursorQuietMs,
    defer: waitUntil,
  });
  const db = createDatabase(client, (committed) => {
    const changes = changesOf(committed);
    notifyCommitted(hub, committed);
    // The first webhook attempt right after the commit; failures and lost passes are retried by the cron.
    if (changes?.some((c) => c.projectId)) waitUntil(runDeliveryPass(webhooks).catch((error) => log(`webhook pass failed: ${(error as Error).message}`)));
  });
  // The runtime's fetch sends (src/webhooks/send.ts): URLs are checked at registration, and a
  // deployed Worker has no route to private networks.
  const webhooks: DeliveryDeps = { db, settings: config.webhooks, log };
  const { app } = createApp({ config, db, keys, hub });
  return { app, db, config, webhooks };
}

/** The isolate's runtime, built on first use; a failed build is retried by the next request. */
function getRuntime(env: Env): Promise<Runtime> {
  if (!runtime) {
    runtime = build(env);
    runtime.catch(() => (runtime = undefined));
  }
  return runtime;
}

export default {
  async fetch(request, env) {
    let current: Runtime;
    try {
      current = await getRuntime(env);
    } catch (error) {
      console.error(`weft: cannot start: ${(error as Error).message}`);
      return Response.json({ errors: [{ message: 'service misconfigured', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }, { status: 500 });
    }
    return current.app.fetch(request);
  },

  /** Cron Trigger (every minute): webhook retries and housekeeping, feed retention, the fleet sweep (liveness, then drains). */
  async scheduled(_controller, env, _ctx) {
    const { db, config, webhooks } = await getRuntime(env);
    const now = Date.now();
    const jobs: [string, Promise<unknown>][] = [
      ['webhook pass', runDeliveryPass(webhooks, now)],
      ['webhook housekeeping', webhookHousekeeping(db, now - config.feedRetentionMs)],
      ['feed retention', compactFeed(db, { before: now - config.feedRetentionMs })],
      ['fleet sweep', sweepLiveness({ db, config, now: Date.now }).then(() => settleDrains({ db, config, now: Date.now }))],
    ];
    const settled = await Promise.allSettled(jobs.map(([, job]) => job));
    settled.forEach((s, i) => s.status === 'rejected' && console.error(`weft cron: ${jobs[i][0]} failed: ${(s.reason as Error)?.message}`));
  },
} satisfies ExportedHandler<Env>;
