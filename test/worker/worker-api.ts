/**
 * The Worker under test: the real `wrangler.toml` and `src/worker.ts` in local workerd (wrangler's
 * createTestHarness), over the test-only Hrana server, migrated by `scripts/migrate.ts` exactly as
 * before a deploy. Returns the same `TestApi` shape as the in-process Node harness, so the API
 * suite's helpers (seedWorld, subscribeSse, …) run unchanged against the Worker; `db` is a direct
 * client of the same database, for fixtures and inspection.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from '@libsql/client';
import { createTestHarness, type TestHarness } from 'wrangler';
import { signToken } from '../../src/auth/jwt.ts';
import { loadSigningKeys } from '../../src/auth/keys.ts';
import { parseConfig } from '../../src/config.ts';
import { createDatabase } from '../../src/db/client.ts';
import { createFeedHub } from '../../src/feed/hub.ts';
import { gqlVia, newEdKey, okFrom, type TestApi } from '../support/api.ts';
import { type HranaTestServer, startHranaTestServer } from './hrana-test-server.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface WorkerApi extends TestApi {
  url: string;
  hrana: HranaTestServer;
  harness: TestHarness;
}

/** Applies the migrations to a remote URL the way an operator does: `npm run db:migrate`'s script. */
export async function migrateRemote(url: string, authToken: string): Promise<string> {
  const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/migrate.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, DATABASE_AUTH_TOKEN: authToken },
    timeout: 60_000,
  });
  return stdout;
}

/** Starts the Worker over a fresh, migrated database. `vars` override wrangler.toml's. */
export async function startWorkerApi(vars: Record<string, string> = {}): Promise<WorkerApi> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-worker-'));
  const dbToken = randomBytes(24).toString('base64url');
  const hrana = await startHranaTestServer({ path: join(dir, 'weft.db'), authToken: dbToken });
  let harness: TestHarness | undefined;
  try {
    await migrateRemote(hrana.url, dbToken);
    const key = await newEdKey();
    const secrets = { DATABASE_URL: hrana.url, DATABASE_AUTH_TOKEN: dbToken, AUTH_EDDSA_PRIVATE_KEY: key };
    harness = createTestHarness({ root: ROOT, workers: [{ configPath: join(ROOT, 'wrangler.toml'), vars: { FEED_POLL_MS: '2000', ...vars }, secrets }] });
    const { url: base } = await harness.listen();
    const running = harness;
    const url = base.origin;
    const config = parseConfig({ ...secrets, FEED_POLL_MS: '2000', ...vars });
    const keys = await loadSigningKeys(config.auth);
    const client = createClient({ url: hrana.url, authToken: dbToken });
    const db = createDatabase(client);
    const token: TestApi['token'] = (claims, ttl = 3600) => signToken(keys, config.auth, claims, ttl);
    const admin = await token({ kind: 'admin', sub: 'test-admin' });
    // Requests written for the in-process harness (http://weft.test/…) go to the Worker.
    const send = (request: Request) => {
      const target = new URL(request.url);
      return fetch(new Request(`${url}${target.pathname}${target.search}`, request));
    };
    const gql = gqlVia(fetch, `${url}/graphql`, admin);
    return {
      url,
      hrana,
      harness: running,
      config,
      db,
      keys,
      hub: createFeedHub(config.feedPollMs), // unused: the Worker's hubs are Durable Objects
      dir,
      fetch: send,
      token,
      admin,
      gql,
      ok: okFrom(gql),
      async close() {
        await running.close();
        client.close();
        await hrana.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await harness?.close().catch(() => {});
    await hrana.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
