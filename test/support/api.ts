/**
 * Test harness for the control API: a fresh embedded libSQL file per test app, real migrations,
 * a real EdDSA key, and helpers to mint tokens and send GraphQL through the Hono app in-process.
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
import { createFeedHub, type FeedHub, notifyCommitted } from '../../src/feed/hub.ts';
import { migrateDatabase, openDatabase } from '../../src/node/database.ts';

export interface TestApi {
  config: Config;
  db: Database;
  keys: SigningKeys;
  hub: FeedHub;
  dir: string;
  fetch: (request: Request) => Promise<Response>;
  token(claims: TokenClaims, ttlSeconds?: number): Promise<string>;
  admin: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
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
export async function startTestApi(env: Record<string, string> = {}, options: { dbFile?: string; now?: () => number } = {}): Promise<TestApi> {
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
  const opened = await openDatabase(config.databaseUrl);
  await migrateDatabase(opened.writeClient);
  const hub = createFeedHub(config.feedPollMs);
  const db = createDatabase(opened.client, (committed) => notifyCommitted(hub, committed), opened.writeClient);
  let app: ReturnType<typeof createApp>['app'];
  try {
    ({ app } = createApp({ config, db, keys, hub, now: options.now })); // refuses some settings
  } catch (error) {
    opened.close();
    if (!options.dbFile) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const token = (claims: TokenClaims, ttl = 3600) => signToken(keys, config.auth, claims, ttl);
  const admin = await token({ kind: 'admin', sub: 'test-admin' });
  const gql: TestApi['gql'] = async (query, variables = {}, bearer = admin) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const response = await app.fetch(new Request('http://weft.test/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) }));
    return response.json() as never;
  };
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
      opened.close();
      if (!options.dbFile) rmSync(dir, { recursive: true, force: true });
    },
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
