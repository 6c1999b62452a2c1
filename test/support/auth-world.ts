/**
 * Fixtures for the authorization tests: a world of two projects (A and B) on two hosts and the actors
 * of the matrix (good and bad tokens). Subscriptions are read with test/support/sse.ts.
 */
import { randomBytes } from 'node:crypto';
import { eq, max } from 'drizzle-orm';
import { signToken } from '../../src/auth/jwt.ts';
import type { SigningKeys } from '../../src/auth/keys.ts';
import { changes, hosts, webhookDeliveries } from '../../src/db/schema/index.ts';
import { runDeliveryPass } from '../../src/webhooks/deliver.ts';
import { fakeKey, type TestApi } from './api.ts';

export interface World {
  projectA: string;
  networkA: string;
  appA: string;
  containerA: string; // on host 1
  projectB: string;
  networkB: string;
  appB: string;
  containerB: string; // on host 2
  host1: string;
  host2: string;
  webhookA: string; // an endpoint of project A
  deliveryA: string; // one delivered change of it
  agentToken1: string; // as returned by registerHost
  agentToken2: string;
}

let serial = 0;
/** A number unique in this test process: names, keys and endpoints of fresh fixtures. */
export const nextSerial = () => ++serial;

const REGISTER = `mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id } agentToken } }`;

/** Registers a host with a unique name and key; returns its id and agent token. */
export async function registerTestHost(api: TestApi, label = 'h'): Promise<{ id: string; agentToken: string }> {
  const n = nextSerial();
  const r = await api.ok(REGISTER, { i: { name: `${label}-${n}`, endpoint: `192.0.2.${(n % 250) + 1}:51820`, publicKey: fakeKey(10_000 + n) } });
  return { id: r.registerHost.host.id, agentToken: r.registerHost.agentToken };
}

async function project(api: TestApi, label: string, hostId: string) {
  const n = nextSerial();
  const p = await api.ok(`mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id network { id } } } }`, { i: { name: `${label}-${n}` } });
  const projectId: string = p.createProject.project.id;
  const a = await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id } } }`, {
    i: { projectId, name: 'api', processTypes: ['web', 'worker'] },
  });
  const applicationId: string = a.createApplication.application.id;
  const c = await api.ok(`mutation($i: CreateContainerInput!) { createContainer(input: $i) { container { id } } }`, {
    i: { applicationId, processType: 'web', hostId },
  });
  return { projectId, networkId: p.createProject.project.network.id as string, applicationId, containerId: c.createContainer.container.id as string };
}

/**
 * A webhook endpoint of a project with one delivered change: the endpoint starts at the head, so a
 * change is made after it, and one delivery pass sends it to a sender that answers 200.
 */
async function webhookWithDelivery(api: TestApi, projectId: string, applicationId: string) {
  const e = await api.ok(`mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }`, {
    i: { projectId, url: 'https://hooks.example.com/weft' },
  });
  const webhookA: string = e.createWebhookEndpoint.endpoint.id;
  await api.ok(`mutation($a: ID!) { setProcessExposure(applicationId: $a, processType: "worker", exposure: PUBLIC) { revision } }`, { a: applicationId });
  await runDeliveryPass({ db: api.db, settings: api.config.webhooks, send: async () => ({ status: 200 }) });
  const [delivery] = await api.db.read.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, webhookA));
  if (!delivery) throw new Error('test world: the webhook delivery was not created');
  return { webhookA, deliveryA: delivery.id };
}

/** Builds a fresh world (admin only): project A with a container on host 1 and a webhook, project B on host 2. */
export async function buildWorld(api: TestApi): Promise<World> {
  const h1 = await registerTestHost(api, 'one');
  const h2 = await registerTestHost(api, 'two');
  const a = await project(api, 'alpha', h1.id);
  const b = await project(api, 'beta', h2.id);
  const hook = await webhookWithDelivery(api, a.projectId, a.applicationId);
  return {
    ...hook,
    projectA: a.projectId,
    networkA: a.networkId,
    appA: a.applicationId,
    containerA: a.containerId,
    projectB: b.projectId,
    networkB: b.networkId,
    appB: b.applicationId,
    containerB: b.containerId,
    host1: h1.id,
    host2: h2.id,
    agentToken1: h1.agentToken,
    agentToken2: h2.agentToken,
  };
}

export const GOOD_ACTORS = ['admin', 'userARead', 'userAWrite', 'userB', 'agentHost1', 'agentHost2'] as const;
export const BAD_ACTORS = ['anonymous', 'expired', 'wrongIssuer', 'wrongAudience', 'algNone', 'tamperedSignature', 'hs256WhenEdDSA'] as const;
export type GoodActor = (typeof GOOD_ACTORS)[number];
export type ActorName = GoodActor | (typeof BAD_ACTORS)[number];
export const ACTORS: ActorName[] = ['anonymous', ...GOOD_ACTORS, ...BAD_ACTORS.slice(1)];

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`) with otherwise perfect admin claims. */
export function algNoneToken(api: TestApi): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ kind: 'admin', sub: 'mallory', iss: api.config.auth.issuer, aud: api.config.auth.audience, iat: now, exp: now + 600 })}.`;
}

/** Changes one character in the middle of the signature (the last character may only hold padding bits). */
export function tamperSignature(token: string): string {
  const [h, p, s] = token.split('.');
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

/** A token signed with HS256 and some 32-byte secret, for a server configured with EdDSA. */
export async function hs256Token(api: TestApi): Promise<string> {
  const secret = new Uint8Array(randomBytes(32));
  const keys: SigningKeys = { alg: 'HS256', kid: 'hs256', signKey: secret, verifyKey: secret, publicJwks: { keys: [] } };
  return signToken(keys, api.config.auth, { kind: 'admin', sub: 'mallory' }, 600);
}

/** The bearer token of one actor of the matrix in one world (null: no Authorization header). */
export async function actorToken(api: TestApi, w: World, actor: ActorName): Promise<string | null> {
  const admin = { kind: 'admin' as const, sub: 'ops' };
  switch (actor) {
    case 'anonymous':
      return null;
    case 'admin':
      return api.token(admin);
    case 'userARead':
      return api.token({ kind: 'user', sub: 'reader-a', projects: { [w.projectA]: 'read' } });
    case 'userAWrite':
      return api.token({ kind: 'user', sub: 'writer-a', projects: { [w.projectA]: 'write' } });
    case 'userB':
      return api.token({ kind: 'user', sub: 'writer-b', projects: { [w.projectB]: 'write' } });
    case 'agentHost1':
      return w.agentToken1;
    case 'agentHost2':
      return w.agentToken2;
    case 'expired':
      return api.token(admin, -60);
    case 'wrongIssuer':
      return signToken(api.keys, { ...api.config.auth, issuer: 'not-weft' }, admin, 600);
    case 'wrongAudience':
      return signToken(api.keys, { ...api.config.auth, audience: 'not-weft-api' }, admin, 600);
    case 'algNone':
      return algNoneToken(api);
    case 'tamperedSignature':
      return tamperSignature(await api.token(admin));
    case 'hs256WhenEdDSA':
      return hs256Token(api);
  }
}

/** The newest committed revision: a refused mutation must leave it where it was. */
export async function head(api: TestApi): Promise<number> {
  const [row] = await api.db.read.select({ head: max(changes.revision) }).from(changes);
  return Number(row?.head ?? 0);
}

/** A host's current token version, straight from the database. */
export async function tokenVersion(api: TestApi, hostId: string): Promise<number> {
  const [row] = await api.db.read.select({ v: hosts.tokenVersion }).from(hosts).where(eq(hosts.id, hostId));
  return row.v;
}
