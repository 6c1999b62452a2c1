/**
 * `npm run token -- …` (scripts/token.ts), spawned as a real process against a temporary data
 * directory: it mints working tokens of each kind from the development key, reads an agent's token
 * version from the database, never creates a key, and answers bad arguments with usage and exit 2.
 * Also the development start-up: the key and the printed admin token, and no dev token otherwise.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { loadOrCreateDevKey } from '../../src/node/dev-keys.ts';
import { startNodeServer } from '../../src/node/server.ts';
import { newEdKey, startTestApi, type TestApi } from '../support/api.ts';
import { buildWorld, registerTestHost } from '../support/auth-world.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

let dir: string;
let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the script with only the given environment (plus PATH, so tsx finds this very Node). */
function token(args: string[], env: Record<string, string>): Promise<Run> {
  const PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  return new Promise((done) => {
    execFile(
      TSX,
      ['scripts/token.ts', ...args],
      { cwd: ROOT, env: { PATH, HOME: process.env.HOME ?? dir, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** A data directory with a migrated database, a development key, and an API over both. */
async function devSetup() {
  dir = mkdtempSync(join(tmpdir(), 'weft-token-'));
  const dev = await loadOrCreateDevKey(dir);
  const dbFile = join(dir, 'weft.db');
  api = await startTestApi({ AUTH_EDDSA_PRIVATE_KEY: dev.jwk }, { dbFile });
  return { env: { DATABASE_URL: `file:${dbFile}` }, dbFile };
}

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.map((e) => e.extensions?.code);

describe('npm run token', () => {
  it('mints admin, user and agent tokens from the development key', async () => {
    const { env } = await devSetup();
    const w = await buildWorld(api!);
    const [admin, user, agent] = await Promise.all([
      token(['admin'], env),
      token(['user', '--project', `${w.projectA}:read`, '--project', `${w.projectB}:write`, '--sub', 'alice'], env),
      token(['agent', '--host', w.host1], env),
    ]);
    for (const run of [admin, user, agent]) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(run.stderr).toContain('DEVELOPMENT key');
    }
    expect(code(await api!.gql(`{ hosts { edges { node { id } } } }`, {}, admin.stdout.trim()))).toBeUndefined();

    const u = user.stdout.trim();
    expect(decodeJwt(u)).toMatchObject({ kind: 'user', sub: 'alice', projects: { [w.projectA]: 'read', [w.projectB]: 'write' } });
    expect(code(await api!.gql(`query($p: ID!) { project(id: $p) { id } }`, { p: w.projectA }, u))).toBeUndefined();
    expect(code(await api!.gql(`mutation($p: ID!) { deleteProject(id: $p) { deletedId } }`, { p: w.projectA }, u))).toEqual(['FORBIDDEN']);
    expect(code(await api!.gql(`{ hosts { edges { node { id } } } }`, {}, u))).toEqual(['FORBIDDEN']);

    const a = agent.stdout.trim();
    expect(decodeJwt(a)).toMatchObject({ kind: 'agent', host: w.host1, ver: 1 });
    expect(decodeJwt(a).exp! - decodeJwt(a).iat!).toBe(api!.config.auth.agentTokenTtlSeconds);
    const hostConfig = `query($h: ID!) { hostConfig(hostId: $h) { revision } }`;
    expect(code(await api!.gql(hostConfig, { h: w.host1 }, a))).toBeUndefined();
    expect(code(await api!.gql(hostConfig, { h: w.host2 }, a))).toEqual(['FORBIDDEN']);
  });

  it('reads the current token version, so a minted agent token follows rotation', async () => {
    const { env } = await devSetup();
    const host = await registerTestHost(api!);
    await api!.ok(`mutation($h: ID!) { rotateHostToken(hostId: $h) { revision } }`, { h: host.id });
    const run = await token(['agent', '--host', host.id, '--ttl', '120'], env);
    expect(run.code, run.stderr).toBe(0);
    const claims = decodeJwt(run.stdout.trim());
    expect(claims.ver).toBe(2);
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(code(await api!.gql(`query($h: ID!) { hostConfig(hostId: $h) { revision } }`, { h: host.id }, run.stdout.trim()))).toBeUndefined();
    const missing = await token(['agent', '--host', 'host-nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('host host-nope not found');
    expect(missing.stdout).toBe('');
  });

  it('never generates a key: without one it says so and exits 1', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-token-'));
    const run = await token(['admin'], { DATABASE_URL: `file:${join(dir, 'weft.db')}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no development key at .*dev-signing-key\.json.*npm start.*No key was generated/s);
    expect(run.stdout).toBe('');
    expect(existsSync(join(dir, 'dev-signing-key.json'))).toBe(false);
    const remote = await token(['admin'], { DATABASE_URL: 'libsql://db.example' });
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain('no signing key configured');
  });

  it('uses a configured key instead of the development one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-token-'));
    const secret = 'k'.repeat(40);
    const hs = await token(['admin', '--ttl', '60'], { DATABASE_URL: `file:${join(dir, 'weft.db')}`, AUTH_HS256_SECRET: secret, AUTH_ISSUER: 'weft-prod' });
    expect(hs.code, hs.stderr).toBe(0);
    expect(decodeProtectedHeader(hs.stdout.trim()).alg).toBe('HS256');
    expect(decodeJwt(hs.stdout.trim())).toMatchObject({ kind: 'admin', iss: 'weft-prod', aud: 'weft-api' });
    expect(hs.stderr).not.toContain('DEVELOPMENT');
    api = await startTestApi({ AUTH_HS256_SECRET: secret, AUTH_ISSUER: 'weft-prod' });
    expect(code(await api.gql(`{ hosts { edges { node { id } } } }`, {}, hs.stdout.trim()))).toBeUndefined();
    const weak = await token(['admin'], { AUTH_HS256_SECRET: 'short' });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least 32 bytes');
  });

  it('prints usage and exits 2 on bad arguments', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-token-'));
    const env = { DATABASE_URL: `file:${join(dir, 'weft.db')}` };
    const cases: [string[], RegExp][] = [
      [[], /missing the token kind/],
      [['root'], /unknown kind "root"/],
      [['admin', 'user'], /one kind expected/],
      [['user'], /needs at least one --project/],
      [['user', '--project', 'prj-1'], /<prj-id>:read or <prj-id>:write/],
      [['user', '--project', 'prj-1:admin'], /<prj-id>:read or <prj-id>:write/],
      [['agent'], /needs --host/],
      [['admin', '--host', 'host-1'], /--host is for agent tokens/],
      [['admin', '--ttl', 'soon'], /--ttl must be a positive number/],
      [['admin', '--ttl', '0'], /--ttl must be a positive number/],
      [['admin', '--bogus'], /Unknown option '--bogus'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => token(args, env)));
    runs.forEach((run, i) => {
      expect(run.code, cases[i][0].join(' ')).toBe(2);
      expect(run.stderr).toMatch(cases[i][1]);
      expect(run.stderr).toContain('usage: npm run token -- <kind>');
      expect(run.stdout).toBe('');
    });
    const help = await token(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run token');
    expect(existsSync(join(dir, 'dev-signing-key.json'))).toBe(false);
  });
});

describe('development start-up', () => {
  it('generates a key once and prints a development-only admin token; never with a configured key', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-dev-'));
    const base = { ...parseConfig({ DATABASE_URL: `file:${join(dir, 'weft.db')}` }), port: 0 };
    const lines: string[] = [];
    const first = await startNodeServer(base, (l) => lines.push(l));
    await first.close();
    expect(first.devAdminToken).toBeDefined();
    expect(lines.join('\n')).toMatch(/DEVELOPMENT ONLY/);
    expect(readFileSync(join(dir, 'dev-admin-token'), 'utf8').trim()).toBe(first.devAdminToken);
    const key = readFileSync(join(dir, 'dev-signing-key.json'), 'utf8');
    const second = await startNodeServer(base, () => {});
    await second.close();
    expect(readFileSync(join(dir, 'dev-signing-key.json'), 'utf8')).toBe(key); // reused, not regenerated

    rmSync(join(dir, 'dev-admin-token'));
    const configured = await startNodeServer({ ...base, auth: { ...base.auth, eddsaPrivateKey: await newEdKey() } }, (l) => lines.push(l));
    await configured.close();
    expect(configured.devAdminToken).toBeUndefined();
    expect(existsSync(join(dir, 'dev-admin-token'))).toBe(false);
  });
});
