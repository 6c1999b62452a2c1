/**
 * The catalogue of change kinds: every kind the change feed carries, the row columns that address
 * it, and the zod schema of its payload. This is the feed's wire contract. The API's services emit
 * through the `Change` type (kind K takes K's payload and address); the agent parses rows with
 * `parseHostDelta` instead of casting them.
 *
 * Add a kind here first. test/api/change-catalogue.test.ts then fails, and so does the typecheck,
 * until a service emits the kind and each consumer's table (the agent in agent/api/apply-delta.ts,
 * the webhooks in src/webhooks/events.ts, the project feed in src/schema/feed.ts) says whether it
 * handles the kind or that the kind does not apply to it.
 * Runtime-neutral: zod only.
 */
import { z } from 'zod';
import {
  applicationModelSchema,
  containerModelSchema,
  declaredPortSchema,
  hostModelSchema,
  networkAliasModelSchema,
  networkIpv6Schema,
  networkSwitchSchema,
  peerModelSchema,
} from './model-schema.ts';
import { networkPolicySchema } from './policy/model.ts';

/** The columns of a change row that say who it concerns (src/feed/read.ts routes on them). */
export type AddressColumn = 'projectId' | 'networkId' | 'hostId';

// Who reads a row follows from its columns: a project reader (frontends, webhooks) reads rows with
// its projectId; a host reads rows with its hostId, and rows with a networkId and no hostId of the
// networks it is a member of.
const PROJECT = ['projectId'] as const; // frontends and webhooks only
const NETWORK = ['projectId', 'networkId'] as const; // the project and every member host of the network
const HOST_IN_NETWORK = ['projectId', 'networkId', 'hostId'] as const; // the project and one host
const HOST = ['hostId'] as const; // one host only

const exposure = z.enum(['PUBLIC', 'PRIVATE']);
const containerPayload = z.object({ container: containerModelSchema });
const applicationPayload = z.object({ application: applicationModelSchema });
const membershipPayload = z.object({ networkId: z.string() });
const hostPayload = z.object({ host: hostModelSchema });
const tokenPayload = z.object({ hostId: z.string() });
// A network's IPv6 (issue 21): {cidr, gateway} when its switch is ON, null when OFF; absent only in
// the payloads of an API older than dual-stack, whose networks have no IPv6 either.
const networkIpv6 = networkIpv6Schema.nullable().optional();

export const CHANGE_CATALOGUE = {
  'project.created': {
    to: NETWORK,
    payload: z.object({
      projectId: z.string(),
      networkId: z.string(),
      name: z.string(),
      vni: z.number().int(),
      cidr: z.string(),
      gateway: z.string(),
      dnsTtl: z.number().int(),
      ipv6: networkIpv6,
    }),
  },
  'project.deleted': { to: PROJECT, payload: z.object({ projectId: z.string(), networkId: z.string() }) },
  'application.created': { to: NETWORK, payload: applicationPayload.extend({ processTypes: z.array(z.string()) }) },
  'application.updated': { to: NETWORK, payload: applicationPayload },
  'application.deleted': { to: NETWORK, payload: z.object({ applicationId: z.string(), name: z.string() }) },
  'process.exposure_changed': {
    to: PROJECT,
    payload: z.object({ applicationId: z.string(), processType: z.string(), exposure, previous: exposure.nullable() }),
  },
  // The whole list of a process type's declared ports (issue 19): SRV records follow it.
  'process.ports_changed': {
    to: NETWORK,
    payload: z.object({ applicationId: z.string(), processType: z.string(), ports: z.array(declaredPortSchema) }),
  },
  // A network's live settings, whole (updateNetwork, setNetworkAlias): its DNS TTL and every alias
  // (issue 19), so an alias switch is atomic, its multicast switch and its IPv6 (issue 21). A reader
  // keeps the network's IPv6 as it was when `ipv6` is absent (an older API's row).
  'network.updated': {
    to: NETWORK,
    payload: z.object({ dnsTtl: z.number().int(), aliases: z.array(networkAliasModelSchema), multicast: networkSwitchSchema, ipv6: networkIpv6 }),
  },
  'container.created': { to: NETWORK, payload: containerPayload },
  'container.running': { to: NETWORK, payload: containerPayload },
  'container.draining': { to: NETWORK, payload: containerPayload },
  'container.removed': {
    to: NETWORK,
    payload: z.object({
      containerId: z.string(),
      applicationId: z.string(),
      processType: z.string(),
      number: z.number().int(),
      hostId: z.string(),
      ip: z.string(),
    }),
  },
  // Safe to stop (docs/architecture.md §8.9): the DNS TTL after the drain has passed and every member
  // host has applied the drain's revision.
  'container.drained': { to: NETWORK, payload: containerPayload.extend({ safeToStopAt: z.string() }) },
  // The network's app-to-app policy was written (docs/policies.md): rules, tests and mode, whole.
  'network.policy_set': { to: NETWORK, payload: z.object({ policy: networkPolicySchema }) },
  'network.joined': { to: HOST_IN_NETWORK, payload: membershipPayload },
  'network.left': { to: HOST_IN_NETWORK, payload: membershipPayload },
  'peer.upserted': { to: HOST, payload: z.object({ peer: peerModelSchema }) },
  'peer.removed': { to: HOST, payload: z.object({ hostId: z.string() }) }, // the peer's id; the row's hostId is the reader
  'host.registered': { to: HOST, payload: hostPayload },
  'host.updated': { to: HOST, payload: hostPayload },
  'host.token_rotated': { to: HOST, payload: tokenPayload },
  'host.token_revoked': { to: HOST, payload: tokenPayload },
  // Liveness (docs/architecture.md §8.4): one row per network the host has containers in, so each
  // member host and each project hears of it. `since` is when the API last heard from the host.
  'host.down': { to: NETWORK, payload: z.object({ hostId: z.string(), lastSeenAt: z.string().nullable() }) },
  'host.up': { to: NETWORK, payload: z.object({ hostId: z.string() }) },
  // The agent's safety brake (docs/architecture.md §8.2) engaged: one row per network of the host,
  // read by that host's projects (webhooks) — the agent itself reports it, so it ignores the row.
  'host.brake_engaged': {
    to: HOST_IN_NETWORK,
    payload: z.object({ hostId: z.string(), since: z.string(), objectsHeld: z.number().int(), reason: z.string() }),
  },
} as const satisfies Record<string, { to: readonly AddressColumn[]; payload: z.ZodType<Record<string, unknown>> }>;

export type ChangeKind = keyof typeof CHANGE_CATALOGUE;

/** Every kind, in catalogue order. */
export const CHANGE_KINDS = Object.keys(CHANGE_CATALOGUE) as ChangeKind[];

export type ChangePayload<K extends ChangeKind> = z.infer<(typeof CHANGE_CATALOGUE)[K]['payload']>;

type To<K extends ChangeKind> = (typeof CHANGE_CATALOGUE)[K]['to'][number];

/** The address columns kind K sets (strings) and those it leaves empty. */
export type ChangeAddress<K extends ChangeKind> = { [C in To<K>]: string } & { [C in Exclude<AddressColumn, To<K>>]?: null };

/** One change of a kind in K, as a service emits it: the kind fixes its payload and address. */
export type Change<K extends ChangeKind = ChangeKind> = { [k in K]: { kind: k; payload: ChangePayload<k> } & ChangeAddress<k> }[K];

/**
 * A change as the agent applies it: the row's revision and kind, and its networkId when the kind is
 * addressed to a network, spread over the payload — `{revision, kind, networkId, ...payload}`.
 * Payloads are O(1) in the size of the network: `network.joined` carries no member list, so on it
 * the agent lists again (hostConfig), which is rare.
 */
export type HostDelta<K extends ChangeKind = ChangeKind> = {
  [k in K]: { revision: number; kind: k } & ('networkId' extends To<k> ? { networkId: string } : unknown) & ChangePayload<k>;
}[K];

/** Whether a consumer acts on a kind, or the kind does not concern it (each consumer keeps a table). */
export type Handling = 'handled' | 'not-applicable';

/** The kinds a consumer's table marks as handled, in catalogue order. */
export function handledKinds<T extends Record<ChangeKind, Handling>>(table: T): { [K in ChangeKind]: T[K] extends 'handled' ? K : never }[ChangeKind][] {
  return CHANGE_KINDS.filter((k) => table[k] === 'handled') as never;
}

export function isChangeKind(kind: string): kind is ChangeKind {
  return Object.hasOwn(CHANGE_CATALOGUE, kind);
}

/** The columns a row of `kind` sets; the others stay null. */
export function addressOf(kind: ChangeKind): readonly AddressColumn[] {
  return CHANGE_CATALOGUE[kind].to;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: 'unknown-kind' | 'invalid'; message: string };

/** A kind with its payload, correlated (what `parsePayload` returns). */
export type KindAndPayload = { [K in ChangeKind]: { kind: K; payload: ChangePayload<K> } }[ChangeKind];

/**
 * Checks a payload against its kind's schema. Keys the schema does not know are dropped rather than
 * refused, so a newer API may add fields without breaking older readers; an unknown kind is
 * reported, not thrown, so a reader can skip it.
 */
export function parsePayload(kind: string, payload: unknown): Parsed<KindAndPayload> {
  if (!isChangeKind(kind)) return { ok: false, reason: 'unknown-kind', message: `unknown change kind "${kind}"` };
  const parsed = CHANGE_CATALOGUE[kind].payload.safeParse(payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`);
    return { ok: false, reason: 'invalid', message: `${kind} payload: ${issues.join('; ')}` };
  }
  // Checked against the kind's own schema just above; TypeScript cannot correlate the two.
  return { ok: true, value: { kind, payload: parsed.data } as KindAndPayload };
}

/**
 * Parses a `hostChanges` row into the delta the agent applies: `{revision, kind, networkId, ...payload}`.
 * A kind addressed to a network must come with its networkId.
 */
export function parseHostDelta(row: { revision: number; kind: string; networkId?: string | null; payload: unknown }): Parsed<HostDelta> {
  const parsed = parsePayload(row.kind, row.payload);
  if (!parsed.ok) return parsed;
  const { kind, payload } = parsed.value;
  // The casts below only re-attach the kind to its own (checked) payload, as in parsePayload.
  if (!addressOf(kind).includes('networkId')) return { ok: true, value: { ...payload, revision: row.revision, kind } as HostDelta };
  if (typeof row.networkId !== 'string') return { ok: false, reason: 'invalid', message: `${kind} without a networkId` };
  return { ok: true, value: { ...payload, revision: row.revision, kind, networkId: row.networkId } as HostDelta };
}
