/**
 * The agent's configuration, from the environment (and `--flag value` overrides), parsed once.
 * Identity and token come from the state directory after `weft-agent enroll`, or from the
 * environment (WEFT_HOST_ID, WEFT_AGENT_TOKEN / WEFT_AGENT_TOKEN_FILE).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const schema = z.object({
  WEFT_API_URL: z.url(),
  WEFT_STATE_DIR: z.string().default('/var/lib/weft'),
  WEFT_HOST_ID: z.string().optional(),
  WEFT_AGENT_TOKEN: z.string().optional(),
  WEFT_AGENT_TOKEN_FILE: z.string().optional(),
  WEFT_PREFIX: z
    .string()
    .regex(/^[a-z0-9]{0,3}$/, 'at most 3 lowercase letters or digits')
    .default(''),
  WEFT_WG_MODE: z.enum(['kernel', 'external']).default('kernel'),
  WEFT_ENV_PREFIX: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/)
    .default('SCALINGO_'),
  WEFT_ATTACH_SOCKET: z.string().optional(),
  WEFT_CNI_CONF_DIR: z.string().startsWith('/', 'an absolute directory').optional(), // write one CNI conflist per network there (docs/cni.md)
  WEFT_DNS_UPSTREAMS: z.string().optional(), // comma-separated ip[:port]; default: /etc/resolv.conf
  WEFT_DNS_PORT: z.coerce.number().int().min(1).max(65535).default(53),
  WEFT_RESYNC_MS: z.coerce.number().int().min(1000).default(30_000),
  WEFT_DEBOUNCE_MS: z.coerce.number().int().min(0).default(0), // extra wait before a kicked pass; 0: the next macrotask (docs/architecture.md §8.6)
  WEFT_BRAKE_CONFIRM_MS: z.coerce.number().int().min(0).default(60_000),
  WEFT_BRAKE_NEAR_EMPTY: z.coerce.number().min(0).max(1).default(0.1), // a snapshot below this share of what the host holds is near-empty
  WEFT_HEARTBEAT_MS: z.coerce.number().int().min(200).default(5_000),
  WEFT_POLICY_WAIT_MS: z.coerce.number().int().min(0).default(3_000), // an attach waits at most this long for other hosts' policy sets (docs/policies.md)
});

export interface AgentConfig {
  apiUrl: string;
  stateDir: string;
  hostId: string;
  token: string;
  prefix: string;
  wgMode: 'kernel' | 'external';
  envPrefix: string;
  attachSocket: string;
  /** Where to write one CNI conflist per local network (null: write none). */
  cniConfDir: string | null;
  dnsUpstreams: string[] | null;
  dnsPort: number;
  resyncMs: number;
  /** Extra wait before a pass kicked by the feed, to gather more deltas; 0 (default): the next macrotask, no fixed delay. */
  debounceMs: number;
  brakeConfirmMs: number;
  brakeNearEmpty: number;
  heartbeatMs: number;
  /** At most this long an attach waits until the other hosts' policy sets hold a new source container (docs/policies.md#a-new-container). */
  policyWaitMs: number;
}

/** The identity written by `weft-agent enroll`. */
export interface Enrolment {
  hostId: string;
  token: string;
}

export const ENROLMENT_FILE = 'enrolment.json';

/** `--api-url x` → WEFT_API_URL=x, and so on. */
export function flagsToEnv(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z0-9-]+)$/.exec(argv[i]);
    if (m && argv[i + 1] !== undefined) out[`WEFT_${m[1].toUpperCase().replace(/-/g, '_')}`] = argv[++i];
  }
  return out;
}

/** Parses the configuration; throws one readable error listing every problem. */
export function parseAgentConfig(env: Record<string, string | undefined>): AgentConfig {
  const r = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('WEFT_') && v !== undefined && v !== '')));
  if (!r.success) throw new Error(`invalid agent configuration:\n${r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const e = r.data;
  let enrolment: Partial<Enrolment> = {};
  try {
    enrolment = JSON.parse(readFileSync(join(e.WEFT_STATE_DIR, ENROLMENT_FILE), 'utf8')) as Enrolment;
  } catch {}
  const token = e.WEFT_AGENT_TOKEN ?? (e.WEFT_AGENT_TOKEN_FILE ? readFileSync(e.WEFT_AGENT_TOKEN_FILE, 'utf8').trim() : enrolment.token);
  const hostId = e.WEFT_HOST_ID ?? enrolment.hostId;
  if (!token || !hostId)
    throw new Error(`no host identity: run \`weft-agent enroll\` first, or set WEFT_HOST_ID and WEFT_AGENT_TOKEN (state dir ${e.WEFT_STATE_DIR})`);
  return {
    apiUrl: e.WEFT_API_URL,
    stateDir: e.WEFT_STATE_DIR,
    hostId,
    token,
    prefix: e.WEFT_PREFIX,
    wgMode: e.WEFT_WG_MODE,
    envPrefix: e.WEFT_ENV_PREFIX,
    attachSocket: e.WEFT_ATTACH_SOCKET ?? join(e.WEFT_STATE_DIR, 'attach.sock'),
    cniConfDir: e.WEFT_CNI_CONF_DIR ?? null,
    dnsUpstreams: e.WEFT_DNS_UPSTREAMS
      ? e.WEFT_DNS_UPSTREAMS.split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : null,
    dnsPort: e.WEFT_DNS_PORT,
    resyncMs: e.WEFT_RESYNC_MS,
    debounceMs: e.WEFT_DEBOUNCE_MS,
    brakeConfirmMs: e.WEFT_BRAKE_CONFIRM_MS,
    brakeNearEmpty: e.WEFT_BRAKE_NEAR_EMPTY,
    heartbeatMs: e.WEFT_HEARTBEAT_MS,
    policyWaitMs: e.WEFT_POLICY_WAIT_MS,
  };
}
