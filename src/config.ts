/**
 * Configuration, parsed once from the environment (Node's process.env or a Worker's env) and
 * injected everywhere else. Nothing below src/ reads the environment itself.
 */
import { z } from 'zod';

const intFrom = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

const schema = z.object({
  PORT: intFrom(4000, 0), // 0: any free port (tests)
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().default('file:./data/weft.db'),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  DATABASE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  MESH_CIDR: z.string().default('100.64.0.0/16'),
  DEFAULT_NETWORK_CIDR: z.string().default('10.240.0.0/22'),
  DEFAULT_DNS_TTL: intFrom(5, 0),
  IP_COOLDOWN_SECONDS: intFrom(300, 0),
  ENV_PREFIX: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/)
    .default('SCALINGO_'),
  FEED_RETENTION_SECONDS: intFrom(7 * 24 * 3600, 1),
  FEED_POLL_MS: intFrom(1000, 10),
  FEED_HEAD_POLL_MS: intFrom(50, 5),
  FEED_CURSOR_QUIET_MS: intFrom(5000, 0),
  FEED_CACHE_ROWS: intFrom(20_000, 100),
  MAX_BODY_BYTES: intFrom(1_000_000, 1024),
  MAX_QUERY_DEPTH: intFrom(12, 2),
  GRAPHIQL: z.enum(['true', 'false']).default('true'),
  INTROSPECTION: z.enum(['true', 'false']).default('true'),
  AUTH_ISSUER: z.string().default('weft'),
  AUTH_AUDIENCE: z.string().default('weft-api'),
  AUTH_EDDSA_PRIVATE_KEY: z.string().optional(),
  AUTH_HS256_SECRET: z.string().optional(),
  AUTH_USER_JWKS_URL: z.url().optional(),
  AUTH_USER_ISSUER: z.string().optional(),
  AUTH_USER_AUDIENCE: z.string().optional(),
  AGENT_TOKEN_TTL_SECONDS: intFrom(365 * 24 * 3600, 60),
  WEBHOOK_MAX_ATTEMPTS: intFrom(12, 1),
  WEBHOOK_TIMEOUT_MS: intFrom(10_000, 100),
  WEBHOOK_BACKOFF_BASE_MS: intFrom(10_000, 1),
  WEBHOOK_BACKOFF_CAP_MS: intFrom(3_600_000, 1),
  WEBHOOK_SECRET_OVERLAP_SECONDS: intFrom(24 * 3600, 0),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false']).default('false'),
  HOST_DOWN_AFTER_SECONDS: intFrom(30, 1), // a host silent this long is DOWN (docs/architecture.md §8.4)
  HOST_DOWN_MAX_FRACTION: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(1 / 3), // partition guard
  FLEET_SWEEP_MS: intFrom(500, 50), // how often liveness and drains are checked (Node)
  AGENT_REPORTS_PER_SECOND: intFrom(200, 0), // the fleet's routine pass reports the API paces agents to; 0: every pass at once (docs/architecture.md §8.5)
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(), // unset: no metrics listener (Node only)
  METRICS_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

export type EnvInput = Record<string, string | undefined>;

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  databaseAuthToken?: string;
  databaseSynchronous: 'NORMAL' | 'FULL';
  meshCidr: string;
  defaultNetworkCidr: string;
  defaultDnsTtl: number;
  ipCooldownMs: number;
  envPrefix: string;
  feedRetentionMs: number;
  feedPollMs: number;
  /** Node: how often each API process polls the head for commits by other processes (docs/architecture.md §8.5). */
  feedHeadPollMs: number;
  /** A feed stream sends a CURSOR only after this long without an event. */
  feedCursorQuietMs: number;
  /** Node: how many recent change rows the watch cache holds. */
  feedCacheRows: number;
  maxBodyBytes: number;
  maxQueryDepth: number;
  graphiql: boolean;
  introspection: boolean;
  auth: {
    issuer: string;
    audience: string;
    eddsaPrivateKey?: string;
    hs256Secret?: string;
    userJwksUrl?: string;
    userIssuer?: string;
    userAudience?: string;
    agentTokenTtlSeconds: number;
  };
  webhooks: WebhookSettings;
  /** Host liveness and drains (docs/architecture.md §8.4, §8.9). */
  /** `reportsPerSecond`: the routine pass reports the API paces the whole fleet to (0: no pacing; report-plan.ts `reportIntervalMs`). */
  fleet: { downAfterMs: number; maxDownFraction: number; sweepMs: number; reportsPerSecond: number };
  /** Prometheus listener (Node only): null when METRICS_PORT is unset (docs/operations.md). */
  metrics: { port: number; host: string } | null;
  log: { level: string; format: 'json' | 'pretty' };
}

/** Webhook delivery settings (docs/webhooks.md). */
export interface WebhookSettings {
  maxAttempts: number;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  secretOverlapMs: number;
  allowPrivateTargets: boolean;
}

/** Parses the environment; throws one readable error listing every bad variable. */
export function parseConfig(env: EnvInput): Config {
  const result = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseAuthToken: e.DATABASE_AUTH_TOKEN,
    databaseSynchronous: e.DATABASE_SYNCHRONOUS,
    meshCidr: e.MESH_CIDR,
    defaultNetworkCidr: e.DEFAULT_NETWORK_CIDR,
    defaultDnsTtl: e.DEFAULT_DNS_TTL,
    ipCooldownMs: e.IP_COOLDOWN_SECONDS * 1000,
    envPrefix: e.ENV_PREFIX,
    feedRetentionMs: e.FEED_RETENTION_SECONDS * 1000,
    feedPollMs: e.FEED_POLL_MS,
    feedHeadPollMs: e.FEED_HEAD_POLL_MS,
    feedCursorQuietMs: e.FEED_CURSOR_QUIET_MS,
    feedCacheRows: e.FEED_CACHE_ROWS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxQueryDepth: e.MAX_QUERY_DEPTH,
    graphiql: e.GRAPHIQL === 'true',
    introspection: e.INTROSPECTION === 'true',
    auth: {
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      eddsaPrivateKey: e.AUTH_EDDSA_PRIVATE_KEY,
      hs256Secret: e.AUTH_HS256_SECRET,
      userJwksUrl: e.AUTH_USER_JWKS_URL,
      userIssuer: e.AUTH_USER_ISSUER,
      userAudience: e.AUTH_USER_AUDIENCE,
      agentTokenTtlSeconds: e.AGENT_TOKEN_TTL_SECONDS,
    },
    webhooks: {
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
      backoffCapMs: e.WEBHOOK_BACKOFF_CAP_MS,
      secretOverlapMs: e.WEBHOOK_SECRET_OVERLAP_SECONDS * 1000,
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true',
    },
    fleet: {
      downAfterMs: e.HOST_DOWN_AFTER_SECONDS * 1000,
      maxDownFraction: e.HOST_DOWN_MAX_FRACTION,
      sweepMs: e.FLEET_SWEEP_MS,
      reportsPerSecond: e.AGENT_REPORTS_PER_SECOND,
    },
    metrics: e.METRICS_PORT === undefined ? null : { port: e.METRICS_PORT, host: e.METRICS_HOST },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
  };
}
