/**
 * Mints a Weft token from the configured key — the same environment as the API (AUTH_EDDSA_PRIVATE_KEY
 * or AUTH_HS256_SECRET, AUTH_ISSUER, AUTH_AUDIENCE, DATABASE_URL). With no key configured and an
 * embedded database, it uses the development key that `npm start` generated in the data directory;
 * it never generates one itself. Agent tokens carry the host's current token version, read from
 * DATABASE_URL, so a minted agent token is valid until the next rotation or revocation.
 *
 * The token goes to stdout (alone, for `$(npm run -s token -- admin)`); notes go to stderr.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClient } from '@libsql/client';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql';
import { type Role, signToken, type TokenClaims } from '../src/auth/jwt.ts';
import { loadSigningKeys } from '../src/auth/keys.ts';
import { parseConfig } from '../src/config.ts';
import { hosts } from '../src/db/schema/index.ts';
import { embeddedDataDir } from '../src/node/database.ts';
import { devKeyPath, readDevKey } from '../src/node/dev-keys.ts';

const USAGE = `usage: npm run token -- <kind> [options]

  admin                                      an operator or scheduler token
  user  --project <prj-id>:<read|write> …    a frontend user of the listed projects (repeatable)
  agent --host <host-id>                     the agent of one host, at its current token version

options:
  --sub <subject>    the token's subject (default: cli-admin, cli-user, agent:<host-id>)
  --ttl <seconds>    lifetime (default: 3600; agents AGENT_TOKEN_TTL_SECONDS)

Uses the server's environment: AUTH_EDDSA_PRIVATE_KEY or AUTH_HS256_SECRET, AUTH_ISSUER,
AUTH_AUDIENCE and DATABASE_URL (without a key: the development key in the data directory).`;

class UsageError extends Error {}

function fail(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`token: ${(error as Error).message}\n`);
  process.exit(1);
}

interface Request {
  kind: TokenClaims['kind'];
  sub?: string;
  ttl?: number;
  projects: Record<string, Role>;
  host?: string;
}

/** Parses the command line; any mistake is a UsageError (exit 2). */
function parseRequest(argv: string[]): Request | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        project: { type: 'string', multiple: true },
        host: { type: 'string' },
        sub: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `one kind expected, got: ${positionals.join(' ')}` : 'missing the token kind');
  const kind = positionals[0];
  if (kind !== 'admin' && kind !== 'user' && kind !== 'agent') throw new UsageError(`unknown kind "${kind}": admin, user or agent`);
  let ttl: number | undefined;
  if (values.ttl !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.ttl)) throw new UsageError(`--ttl must be a positive number of seconds, got "${values.ttl}"`);
    ttl = Number(values.ttl);
  }
  const projects: Record<string, Role> = {};
  for (const spec of values.project ?? []) {
    const cut = spec.lastIndexOf(':');
    const [id, role] = cut > 0 ? [spec.slice(0, cut), spec.slice(cut + 1)] : [spec, ''];
    if (role !== 'read' && role !== 'write') throw new UsageError(`--project takes <prj-id>:read or <prj-id>:write, got "${spec}"`);
    projects[id] = role;
  }
  if (kind !== 'user' && values.project) throw new UsageError('--project is for user tokens');
  if (kind === 'user' && !values.project) throw new UsageError('a user token needs at least one --project <prj-id>:<read|write>');
  if (kind !== 'agent' && values.host) throw new UsageError('--host is for agent tokens');
  if (kind === 'agent' && !values.host) throw new UsageError('an agent token needs --host <host-id>');
  return { kind, sub: values.sub, ttl, projects, host: values.host };
}

/** The host's current token version, from the database the API uses. */
async function currentTokenVersion(databaseUrl: string, authToken: string | undefined, hostId: string): Promise<number> {
  const dir = embeddedDataDir(databaseUrl);
  if (dir && !existsSync(databaseUrl.slice('file:'.length))) throw new Error(`no database at ${databaseUrl}: start the API once, or set DATABASE_URL`);
  const client = createClient({ url: databaseUrl, authToken });
  try {
    const [row] = await drizzle({ client }).select({ version: hosts.tokenVersion }).from(hosts).where(eq(hosts.id, hostId));
    if (!row) throw new Error(`host ${hostId} not found in ${databaseUrl}`);
    return row.version;
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const request = parseRequest(process.argv.slice(2));
  if (request === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = parseConfig(process.env);
  let auth = config.auth;
  let development = false;
  if (!auth.eddsaPrivateKey && !auth.hs256Secret) {
    const dir = embeddedDataDir(config.databaseUrl);
    if (!dir) throw new Error('no signing key configured: set AUTH_EDDSA_PRIVATE_KEY or AUTH_HS256_SECRET (as for the API)');
    const dev = readDevKey(dir);
    if (!dev)
      throw new Error(
        `no signing key configured and no development key at ${devKeyPath(dir)}: run \`npm start\` once to create it, or set AUTH_EDDSA_PRIVATE_KEY or AUTH_HS256_SECRET. No key was generated.`,
      );
    auth = { ...auth, eddsaPrivateKey: dev.jwk };
    development = true;
  }
  const keys = await loadSigningKeys(auth);

  let claims: TokenClaims;
  let ttl = request.ttl ?? 3600;
  if (request.kind === 'admin') claims = { kind: 'admin', sub: request.sub ?? 'cli-admin' };
  else if (request.kind === 'user') claims = { kind: 'user', sub: request.sub ?? 'cli-user', projects: request.projects };
  else {
    const host = request.host!;
    claims = { kind: 'agent', sub: request.sub ?? `agent:${host}`, host, ver: await currentTokenVersion(config.databaseUrl, config.databaseAuthToken, host) };
    ttl = request.ttl ?? auth.agentTokenTtlSeconds;
  }
  const token = await signToken(keys, auth, claims, ttl);
  process.stdout.write(`${token}\n`);
  const expires = new Date(Date.now() + ttl * 1000).toISOString();
  process.stderr.write(
    `${request.kind} token (${keys.alg}, expires ${expires})${development ? ' — signed with the DEVELOPMENT key: for local use only' : ''}\n`,
  );
}

await main().catch(fail);
