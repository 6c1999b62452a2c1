/**
 * The control API in this process, for tests and benchmarks: a fresh embedded libSQL file per API,
 * real migrations, a real key, and helpers to mint tokens and send GraphQL. Three ways in:
 * `startTestApi` (the Hono app called directly, no socket), `startApiServer` (the Node server on a
 * loopback port, as `npm start` runs it) and `openServices` (the service layer alone, no HTTP).
 * A separate process is test/support/api-process.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { createApp } from '../../src/app.ts';
import { type TokenClaims, signToken } from '../../src/auth/jwt.ts';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/keys.ts';
import { type Config, parseConfig } from '../../src/config.ts';
import { createDatabase, type Database } from '../../src/db/client.ts';
import { type FeedHub, notifyCommitted } from '../../src/feed/hub.ts';
import { createWatchCache, type WatchCache, watchCacheSettings } from '../../src/feed/watch-cache.ts';
import { migrateDatabase, type OpenedDatabase, openDatabase } from '../../src/node/database.ts';
import { startNodeServer, type RunningServer } from '../../src/node/server.ts';
import type { ServiceContext } from '../../src/services/context.ts';

export interface TestApi {
  config: Config;
  db: Database;
  keys: SigningKeys;
  hub: FeedHub;
  dir: string;
  fetch: (request: Request) => Promise<Response>;
  token(claims: TokenClaims, ttlSeconds?: number): Promise<string>;
  admin: string;
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
  /** Like gql but throws on errors and returns data. */
  ok<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T>;
  close(): Promise<void>;
}

/** A new Ed25519 private JWK as JSON text. */
export async function newEdKey(): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return JSON.stringify(await exportJWK(privateKey));
}

/** Starts an in-process API over a temporary database file. `dbFile` lets two apps share one file. */
export async function startTestApi(
  env: Record<string, string> = {},
  options: { dbFile?: string; now?: () => number } = {},
): Promise<TestApi & { hub: WatchCache }> {
  // A shared file lives in its owner's directory: only a private database gets (and removes) its own.
  const dir = options.dbFile ? dirname(options.dbFile) : mkdtempSync(join(tmpdir(), 'weft-api-'));
  const dbFile = options.dbFile ?? join(dir, 'weft.db');
  const key = env.AUTH_HS256_SECRET ? undefined : (env.AUTH_EDDSA_PRIVATE_KEY ?? (await newEdKey()));
  const config = parseConfig({ DATABASE_URL: `file:${dbFile}`, FEED_POLL_MS: '200', ...(key ? { AUTH_EDDSA_PRIVATE_KEY: key } : {}), ...env });
  let keys: SigningKeys;
  try {
    keys = await loadSigningKeys(config.auth); // before the database: a refused key leaves nothing open
  } catch (error) {
    if (!options.dbFile) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { opened, db } = await openMigrated(config, (committed) => notifyCommitted(hub, committed));
  // The watch cache, as the server runs it (docs/architecture.md §8.5).
  const hub = createWatchCache({ db, ...watchCacheSettings(config) });
  let app: ReturnType<typeof createApp>['app'];
  try {
    await hub.start();
    ({ app } = createApp({ config, db, keys, hub, now: options.now })); // refuses some settings
  } catch (error) {
    hub.close();
    opened.close();
    if (!options.dbFile) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const token = (claims: TokenClaims, ttl = 3600) => signToken(keys, config.auth, claims, ttl);
  const admin = await token({ kind: 'admin', sub: 'test-admin' });
  const gql = gqlVia((request) => app.fetch(request), 'http://weft.test/graphql', admin);
  return {
    config,
    db,
    keys,
    hub,
    dir,
    fetch: (request) => Promise.resolve(app.fetch(request)),
    token,
    admin,
    gql,
    ok: okFrom(gql),
    async close() {
      hub.close();
      opened.close();
      if (!options.dbFile) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens and migrates `config`'s database, as the server does first; `onCommit` hears every commit. */
export async function openMigrated(
  config: Config,
  onCommit: Parameters<typeof createDatabase>[1] = () => {},
): Promise<{ opened: OpenedDatabase; db: Database }> {
  const opened = await openDatabase(config.databaseUrl);
  await migrateDatabase(opened.writeClient);
  return { opened, db: createDatabase(opened.client, onCommit, opened.writeClient) };
}

/** The service layer over a migrated database (no HTTP, no feed wake-ups): what seeders and benchmarks call verbs on. */
export async function openServices(env: Record<string, string>): Promise<{ ctx: ServiceContext; opened: OpenedDatabase }> {
  const config = parseConfig(env);
  const { opened, db } = await openMigrated(config);
  return { ctx: { db, config, now: () => Date.now() }, opened };
}

/** The Node server of the API (src/node/server.ts) running in this process on a loopback port. */
export interface ApiServer {
  url: string;
  port: number;
  config: Config;
  dbFile: string;
  /** An admin token (the development one when no key was configured). */
  admin: string;
  token(claims: TokenClaims, ttlSeconds?: number): Promise<string>;
  gql: TestApi['gql'];
  ok: TestApi['ok'];
  /** Stops listening; `restart()` listens again on the same port and database. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stops, and removes the database directory if this server made it. */
  close(): Promise<void>;
}

/**
 * Starts the server with `env` over a temporary database unless DATABASE_URL is given (two servers
 * can share one file), with a fresh Ed25519 key unless a key or secret is given, on any free port
 * unless PORT is given.
 */
export async function startApiServer(env: Record<string, string> = {}, log: (line: string) => void = () => {}): Promise<ApiServer> {
  const dir = env.DATABASE_URL ? null : mkdtempSync(join(tmpdir(), 'weft-api-server-'));
  const key = 'AUTH_HS256_SECRET' in env || 'AUTH_EDDSA_PRIVATE_KEY' in env ? {} : { AUTH_EDDSA_PRIVATE_KEY: await newEdKey() };
  const config = parseConfig({ PORT: '0', ...(dir ? { DATABASE_URL: `file:${join(dir, 'weft.db')}` } : {}), ...key, ...env });
  let server: RunningServer | null = await startNodeServer(config, log);
  const { url, port } = server;
  const keys = server.devAdminToken ? null : await loadSigningKeys(config.auth);
  const token: ApiServer['token'] = async (claims, ttl = 3600) => {
    if (!keys) throw new Error('the server generated its own development key: only its admin token exists');
    return signToken(keys, config.auth, claims, ttl);
  };
  const admin = server.devAdminToken ?? (await token({ kind: 'admin', sub: 'test-admin' }));
  const gql = gqlVia(fetch, `${url}/graphql`, admin);
  const stop = async () => {
    await server?.close();
    server = null;
  };
  return {
    url,
    port,
    config,
    dbFile: config.databaseUrl.replace(/^file:/, ''),
    admin,
    token,
    gql,
    ok: okFrom(gql),
    stop,
    async restart() {
      await stop();
      server = await startNodeServer({ ...config, port }, log);
    },
    async close() {
      await stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `gql()` through `send` (`fetch`, or an app's own) to `url`, as `admin` unless another bearer (or none: null) is given. */
export function gqlVia(send: (request: Request) => Response | Promise<Response>, url: string, admin: string): TestApi['gql'] {
  return async (query, variables = {}, bearer = admin) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const response = await send(new Request(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) }));
    return response.json() as never;
  };
}

/** `ok()` for a `gql()`: throws on GraphQL errors and returns the data. */
export function okFrom(gql: TestApi['gql']): TestApi['ok'] {
  return async (query, variables, bearer) => {
    const result = await gql(query, variables, bearer);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as never;
  };
}

/** A syntactically valid WireGuard public key derived from a number. */
export function fakeKey(n: number): string {
  const bytes = new Uint8Array(32);
  bytes[0] = n & 0xff;
  bytes[1] = (n >> 8) & 0xff;
  bytes[31] = 7;
  return Buffer.from(bytes).toString('base64');
}

/** Counts the reads made through `reader.select` while `fn` runs. */
export async function countingReads<T>(api: TestApi, fn: (reads: () => number) => Promise<T>): Promise<T> {
  const reader = api.db.read;
  const select = reader.select.bind(reader);
  let reads = 0;
  reader.select = ((...args: Parameters<typeof select>) => (reads++, select(...args))) as typeof select;
  try {
    return await fn(() => reads);
  } finally {
    reader.select = select;
  }
}

/** Creates a project with one app (web + worker types) and `hosts` registered hosts. */
export async function seedWorld(api: TestApi, opts: { hosts?: number; cidr?: string; name?: string } = {}) {
  const p = await api.ok(`mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id network { id vni } } } }`, {
    i: { name: opts.name ?? 'shop', ...(opts.cidr ? { cidr: opts.cidr } : {}) },
  });
  const projectId: string = p.createProject.project.id;
  const networkId: string = p.createProject.project.network.id;
  const a = await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id } } }`, {
    i: { projectId, name: 'api', processTypes: ['web', 'worker'] },
  });
  const applicationId: string = a.createApplication.application.id;
  const hostIds: string[] = [];
  for (let i = 0; i < (opts.hosts ?? 2); i++) {
    const h = await api.ok(`mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id } } }`, {
      i: { name: `${opts.name ?? 'shop'}-h${i + 1}`, endpoint: `192.0.2.${i + 1}:51820`, publicKey: fakeKey(i + 1 + (opts.name ? opts.name.length * 100 : 0)) },
    });
    hostIds.push(h.registerHost.host.id);
  }
  return { projectId, networkId, applicationId, hostIds };
}

export const CREATE_CONTAINER = `mutation($i: CreateContainerInput!) { createContainer(input: $i) { revision container { id ip mac number hostname state } } }`;
