/**
 * The authorization matrix (issue 3, docs/architecture.md §7.1): every root field of the schema — queries,
 * mutations and subscriptions — against every actor. A cell is either `ok` (data, no error) or the
 * exact `extensions.code` of the refusal, with no data. Refusals of anyone who is not a member of
 * project A are also compared with the answer for a random nonexistent id: they must be identical,
 * so nobody outside A learns whether A's objects exist. Refused mutations must change nothing.
 *
 * The table is checked against the schema itself: a new root field without a row fails this file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.ts';
import { fakeKey, startTestApi, type TestApi } from '../support/api.ts';
import { ACTORS, type ActorName, actorToken, BAD_ACTORS, buildWorld, type GoodActor, head, nextSerial, type World } from '../support/auth-world.ts';
import { subscribeSse } from '../support/sse.ts';

type Outcome = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';
type Vars = Record<string, unknown>;

interface Row {
  op: 'query' | 'mutation' | 'subscription';
  field: string;
  /** Variables are declared by `args`; the selection is the smallest that proves the field ran. */
  args: string;
  call: string;
  select: string;
  vars: (w: World) => Vars;
  /** The same call aimed at ids that do not exist (for the "no existence leak" comparison). */
  ghost?: (w: World) => Vars;
  expect: Record<GoodActor, Outcome>;
  /** Extra check of allowed data (e.g. which projects a list shows). */
  check?: (data: any, w: World, actor: ActorName) => void;
}

const OK = 'ok';
const NF = 'NOT_FOUND';
const FB = 'FORBIDDEN';
// Expectation presets for the six actors holding a valid token; bad tokens are UNAUTHENTICATED everywhere.
const projectRead: Row['expect'] = { admin: OK, userARead: OK, userAWrite: OK, userB: NF, agentHost1: NF, agentHost2: NF };
const projectWrite: Row['expect'] = { admin: OK, userARead: FB, userAWrite: OK, userB: NF, agentHost1: NF, agentHost2: NF };
const adminOnly: Row['expect'] = { admin: OK, userARead: FB, userAWrite: FB, userB: FB, agentHost1: FB, agentHost2: FB };
const hostOwn: Row['expect'] = { admin: OK, userARead: FB, userAWrite: FB, userB: FB, agentHost1: OK, agentHost2: FB };
const agentOnly: Row['expect'] = { admin: FB, userARead: FB, userAWrite: FB, userB: FB, agentHost1: OK, agentHost2: FB };

const ghostId = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;
const byId = (pick: (w: World) => string, prefix: string) => ({ vars: (w: World) => ({ id: pick(w) }), ghost: () => ({ id: ghostId(prefix) }) });

const rows: Row[] = [
  // ── queries ──
  { op: 'query', field: 'application', args: '$id: ID!', call: 'application(id: $id)', select: '{ id }', ...byId((w) => w.appA, 'ap'), expect: projectRead },
  {
    op: 'query',
    field: 'container',
    args: '$id: ID!',
    call: 'container(id: $id)',
    select: '{ id }',
    ...byId((w) => w.containerA, 'ctr'),
    expect: { ...projectRead, agentHost1: OK },
  },
  { op: 'query', field: 'host', args: '$id: ID!', call: 'host(id: $id)', select: '{ id }', ...byId((w) => w.host1, 'host'), expect: hostOwn },
  {
    op: 'query',
    field: 'hostChanges',
    args: '$h: ID!',
    call: 'hostChanges(hostId: $h, since: 0)',
    select: '{ head }',
    vars: (w) => ({ h: w.host1 }),
    ghost: () => ({ h: ghostId('host') }),
    expect: hostOwn,
  },
  {
    op: 'query',
    field: 'hostConfig',
    args: '$h: ID!',
    call: 'hostConfig(hostId: $h)',
    select: '{ revision }',
    vars: (w) => ({ h: w.host1 }),
    ghost: () => ({ h: ghostId('host') }),
    expect: hostOwn,
  },
  {
    op: 'query',
    field: 'containerPolicySources',
    args: '$id: ID!',
    call: 'containerPolicySources(containerId: $id)',
    select: '{ containerId ready }',
    ...byId((w) => w.containerA, 'ctr'),
    expect: hostOwn, // the scheduler, or the agent of the container's host (before it answers the attach)
  },
  {
    op: 'query',
    field: 'drainStatus',
    args: '$id: ID!',
    call: 'drainStatus(containerId: $id)',
    select: '{ containerId }',
    ...byId((w) => w.containerA, 'ctr'),
    expect: hostOwn,
  },
  { op: 'query', field: 'fleetLiveness', args: '', call: 'fleetLiveness', select: '{ partitioned }', vars: () => ({}), expect: adminOnly },
  { op: 'query', field: 'hosts', args: '', call: 'hosts', select: '{ edges { node { id } } }', vars: () => ({}), expect: adminOnly },
  { op: 'query', field: 'network', args: '$id: ID!', call: 'network(id: $id)', select: '{ id }', ...byId((w) => w.networkA, 'pn'), expect: projectRead },
  {
    op: 'query',
    field: 'privateDomainNames',
    args: '$a: ID!',
    call: 'privateDomainNames(applicationId: $a)',
    select: '',
    vars: (w) => ({ a: w.appA }),
    ghost: () => ({ a: ghostId('ap') }),
    expect: projectRead,
  },
  { op: 'query', field: 'project', args: '$id: ID!', call: 'project(id: $id)', select: '{ id }', ...byId((w) => w.projectA, 'prj'), expect: projectRead },
  {
    op: 'query',
    field: 'projectChanges',
    args: '$p: ID!',
    call: 'projectChanges(projectId: $p, since: 0)',
    select: '{ head }',
    vars: (w) => ({ p: w.projectA }),
    ghost: () => ({ p: ghostId('prj') }),
    expect: projectRead,
  },
  {
    op: 'query',
    field: 'projects',
    args: '',
    call: 'projects',
    select: '{ edges { node { id } } }',
    vars: () => ({}),
    expect: { admin: OK, userARead: OK, userAWrite: OK, userB: OK, agentHost1: OK, agentHost2: OK },
    check: (data, w, actor) => {
      const ids = data.projects.edges.map((e: { node: { id: string } }) => e.node.id);
      const want: Partial<Record<ActorName, string[]>> = {
        userARead: [w.projectA],
        userAWrite: [w.projectA],
        userB: [w.projectB],
        agentHost1: [],
        agentHost2: [],
      };
      if (actor === 'admin') expect(ids).toEqual(expect.arrayContaining([w.projectA, w.projectB]));
      else expect(ids).toEqual(want[actor]);
    },
  },
  {
    op: 'query',
    field: 'publicRoutes',
    args: '$p: ID!',
    call: 'publicRoutes(projectId: $p)',
    select: '{ processType }',
    vars: (w) => ({ p: w.projectA }),
    ghost: () => ({ p: ghostId('prj') }),
    expect: projectRead,
  },
  {
    op: 'query',
    field: 'webhookDelivery',
    args: '$id: ID!',
    call: 'webhookDelivery(id: $id)',
    select: '{ id }',
    ...byId((w) => w.deliveryA, 'whd'),
    expect: projectRead,
  },
  {
    op: 'query',
    field: 'webhookEndpoint',
    args: '$id: ID!',
    call: 'webhookEndpoint(id: $id)',
    select: '{ id }',
    ...byId((w) => w.webhookA, 'wh'),
    expect: projectRead,
  },
  {
    op: 'query',
    field: 'webhookEventTypes',
    args: '',
    call: 'webhookEventTypes',
    select: '',
    vars: () => ({}),
    expect: { admin: OK, userARead: OK, userAWrite: OK, userB: OK, agentHost1: OK, agentHost2: OK },
  },
  {
    op: 'query',
    field: 'evaluatePolicy',
    args: '$n: ID!, $a: String!',
    call: 'evaluatePolicy(networkId: $n, from: $a, to: $a, port: 80, protocol: TCP)',
    select: '{ verdict }',
    vars: (w) => ({ n: w.networkA, a: w.appA }),
    ghost: (w) => ({ n: ghostId('pn'), a: w.appA }),
    expect: projectRead,
  },
  {
    op: 'query',
    field: 'resolve',
    args: '$n: ID!',
    call: 'resolve(networkId: $n, name: "api.private-network.internal")',
    select: '{ rcode }',
    vars: (w) => ({ n: w.networkA }),
    ghost: () => ({ n: ghostId('pn') }),
    expect: projectRead,
  },

  // ── mutations ──
  { op: 'mutation', field: 'compactFeed', args: '', call: 'compactFeed(throughRevision: 0)', select: '{ deleted }', vars: () => ({}), expect: adminOnly },
  {
    op: 'mutation',
    field: 'createApplication',
    args: '$p: ID!',
    call: 'createApplication(input: { projectId: $p, name: "made" })',
    select: '{ revision }',
    vars: (w) => ({ p: w.projectA }),
    ghost: () => ({ p: ghostId('prj') }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'createContainer',
    args: '$a: ID!, $h: ID!',
    call: 'createContainer(input: { applicationId: $a, processType: "web", hostId: $h })',
    select: '{ revision }',
    vars: (w) => ({ a: w.appA, h: w.host1 }),
    ghost: () => ({ a: ghostId('ap'), h: ghostId('host') }),
    expect: adminOnly,
  },
  {
    op: 'mutation',
    field: 'createProject',
    args: '$n: String!',
    call: 'createProject(input: { name: $n })',
    select: '{ revision }',
    vars: () => ({ n: `made-${nextSerial()}` }),
    expect: adminOnly,
  },
  {
    op: 'mutation',
    field: 'deleteApplication',
    args: '$id: ID!',
    call: 'deleteApplication(id: $id)',
    select: '{ deletedId }',
    ...byId((w) => w.appA, 'ap'),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'deleteProject',
    args: '$id: ID!',
    call: 'deleteProject(id: $id)',
    select: '{ deletedId }',
    ...byId((w) => w.projectA, 'prj'),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'createWebhookEndpoint',
    args: '$p: ID!',
    call: 'createWebhookEndpoint(input: { projectId: $p, url: "https://hooks.example.com/new" })',
    select: '{ secret }',
    vars: (w) => ({ p: w.projectA }),
    ghost: () => ({ p: ghostId('prj') }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'deleteWebhookEndpoint',
    args: '$id: ID!',
    call: 'deleteWebhookEndpoint(id: $id)',
    select: '{ deletedId }',
    ...byId((w) => w.webhookA, 'wh'),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'drainContainer',
    args: '$id: ID!',
    call: 'drainContainer(id: $id)',
    select: '{ revision }',
    ...byId((w) => w.containerA, 'ctr'),
    expect: hostOwn, // the scheduler, or the agent of the container's host (weft-agent drain --wait)
  },
  {
    op: 'mutation',
    field: 'markContainerRunning',
    args: '$id: ID!',
    call: 'markContainerRunning(id: $id)',
    select: '{ revision }',
    ...byId((w) => w.containerA, 'ctr'),
    expect: adminOnly,
  },
  {
    op: 'mutation',
    field: 'registerHost',
    args: '$i: RegisterHostInput!',
    call: 'registerHost(input: $i)',
    select: '{ revision }',
    vars: () => {
      const n = nextSerial();
      return { i: { name: `new-${n}`, endpoint: '198.51.100.7:51820', publicKey: fakeKey(30_000 + n) } };
    },
    expect: adminOnly,
  },
  {
    op: 'mutation',
    field: 'redeliver',
    args: '$d: ID!',
    call: 'redeliver(deliveryId: $d)',
    select: '{ delivery { id } }',
    vars: (w) => ({ d: w.deliveryA }),
    ghost: () => ({ d: ghostId('whd') }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'removeContainer',
    args: '$id: ID!',
    call: 'removeContainer(id: $id)',
    select: '{ deletedId }',
    ...byId((w) => w.containerA, 'ctr'),
    expect: adminOnly,
  },
  {
    op: 'mutation',
    field: 'reportHostStatus',
    args: '$h: ID!',
    call: 'reportHostStatus(input: { hostId: $h, appliedRevision: 0 })',
    select: '{ hostId }',
    vars: (w) => ({ h: w.host1 }),
    ghost: () => ({ h: ghostId('host') }),
    expect: agentOnly,
  },
  {
    op: 'mutation',
    field: 'revokeHostToken',
    args: '$h: ID!',
    call: 'revokeHostToken(hostId: $h)',
    select: '{ revision }',
    vars: (w) => ({ h: w.host1 }),
    ghost: () => ({ h: ghostId('host') }),
    expect: adminOnly,
  },
  {
    op: 'mutation',
    field: 'rotateHostKey',
    args: '$h: ID!',
    call: 'rotateHostKey(hostId: $h)',
    select: '{ revision }',
    vars: (w) => ({ h: w.host1 }),
    ghost: () => ({ h: ghostId('host') }),
    expect: adminOnly,
  },
  {
    op: 'mutation',
    field: 'rotateHostToken',
    args: '$h: ID!',
    call: 'rotateHostToken(hostId: $h)',
    select: '{ revision }',
    vars: (w) => ({ h: w.host1 }),
    ghost: () => ({ h: ghostId('host') }),
    expect: adminOnly,
  },
  {
    op: 'mutation',
    field: 'rotateWebhookSecret',
    args: '$id: ID!',
    call: 'rotateWebhookSecret(id: $id)',
    select: '{ secret }',
    ...byId((w) => w.webhookA, 'wh'),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'setDefaultProcessType',
    args: '$a: ID!',
    call: 'setDefaultProcessType(applicationId: $a, processType: "worker")',
    select: '{ revision }',
    vars: (w) => ({ a: w.appA }),
    ghost: () => ({ a: ghostId('ap') }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'setNetworkPolicy',
    args: '$n: ID!, $a: String!',
    call: 'setNetworkPolicy(input: { networkId: $n, mode: AUDIT, rules: [{ from: { application: $a }, to: { application: $a }, protocol: TCP, ports: [{ from: 80 }] }] })',
    select: '{ policy { version } }',
    vars: (w) => ({ n: w.networkA, a: w.appA }),
    ghost: (w) => ({ n: ghostId('pn'), a: w.appA }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'setProcessExposure',
    args: '$a: ID!',
    call: 'setProcessExposure(applicationId: $a, processType: "web", exposure: PRIVATE)',
    select: '{ revision }',
    vars: (w) => ({ a: w.appA }),
    ghost: () => ({ a: ghostId('ap') }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'setProcessPorts',
    args: '$a: ID!',
    call: 'setProcessPorts(applicationId: $a, processType: "web", ports: [{ name: "http", port: 8080, protocol: "TCP" }])',
    select: '{ revision }',
    vars: (w) => ({ a: w.appA }),
    ghost: () => ({ a: ghostId('ap') }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'setNetworkAlias',
    args: '$n: ID!, $a: ID!',
    call: 'setNetworkAlias(networkId: $n, name: "db", applicationId: $a)',
    select: '{ revision }',
    vars: (w) => ({ n: w.networkA, a: w.appA }),
    ghost: () => ({ n: ghostId('pn'), a: ghostId('ap') }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'updateNetwork',
    args: '$n: ID!',
    call: 'updateNetwork(input: { networkId: $n, dnsTtl: 7 })',
    select: '{ revision }',
    vars: (w) => ({ n: w.networkA }),
    ghost: () => ({ n: ghostId('pn') }),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'updateWebhookEndpoint',
    args: '$id: ID!',
    call: 'updateWebhookEndpoint(input: { id: $id, enabled: false })',
    select: '{ endpoint { id } }',
    ...byId((w) => w.webhookA, 'wh'),
    expect: projectWrite,
  },
  {
    op: 'mutation',
    field: 'updateHost',
    args: '$h: ID!',
    call: 'updateHost(input: { hostId: $h, endpoint: "198.51.100.9:51820" })',
    select: '{ revision }',
    vars: (w) => ({ h: w.host1 }),
    ghost: () => ({ h: ghostId('host') }),
    expect: hostOwn,
  },

  // ── subscriptions (over SSE; `$s` is filled in by the runner) ──
  {
    op: 'subscription',
    field: 'hostChanges',
    args: '$h: ID!, $s: Int!',
    call: 'hostChanges(hostId: $h, since: $s)',
    select: '{ type revision }',
    vars: (w) => ({ h: w.host1 }),
    ghost: () => ({ h: ghostId('host') }),
    expect: hostOwn,
  },
  {
    op: 'subscription',
    field: 'projectChanges',
    args: '$p: ID!, $s: Int!',
    call: 'projectChanges(projectId: $p, since: $s)',
    select: '{ type revision }',
    vars: (w) => ({ p: w.projectA }),
    ghost: () => ({ p: ghostId('prj') }),
    expect: projectRead,
  },
];

const documentOf = (row: Row) => `${row.op}${row.args ? `(${row.args})` : ''} { ${row.call} ${row.select} }`;
const expected = (row: Row, actor: ActorName): Outcome =>
  (BAD_ACTORS as readonly string[]).includes(actor) ? 'UNAUTHENTICATED' : row.expect[actor as GoodActor];
const MEMBERS_OF_A: ActorName[] = ['admin', 'userARead', 'userAWrite'];

interface Answer {
  data: unknown;
  errors: { message: string; extensions?: Record<string, unknown> }[];
}

let api: TestApi;
let shared: World; // read-only cells and refusals share one world; allowed mutations get a fresh one

beforeAll(async () => {
  api = await startTestApi();
  shared = await buildWorld(api);
});
afterAll(async () => api?.close());

/** Runs one cell; subscriptions go through Yoga's SSE transport and must be refused at once. */
async function run(row: Row, actor: ActorName, w: World, vars: Vars): Promise<Answer> {
  const token = await actorToken(api, w, actor);
  if (row.op !== 'subscription') {
    const r = await api.gql(documentOf(row), vars, token);
    return { data: r.data?.[row.field] ?? null, errors: r.errors ?? [] };
  }
  const allowed = expected(row, actor) === OK;
  // A refusal is checked from the head revision, where nothing is pending: without authorizeOnSubscribe
  // the stream would stay silent until the next change instead of refusing now.
  const sse = await subscribeSse(api, documentOf(row), { ...vars, s: allowed ? 0 : await head(api) }, token, allowed ? 3000 : 1000);
  expect(sse.status).toBe(200);
  expect(sse.contentType).toContain('text/event-stream');
  const first = sse.events.find((e) => e.event === 'next')?.data as { data?: Record<string, unknown>; errors?: Answer['errors'] } | undefined;
  if (!allowed) {
    expect(sse.ended, 'a refused subscription is closed by the server').toBe(true);
    expect(sse.elapsedMs).toBeLessThan(1000);
    expect(sse.events.filter((e) => e.event === 'next')).toHaveLength(1);
  }
  return { data: first?.data?.[row.field] ?? null, errors: first?.errors ?? [] };
}

/** An error as a client sees it, with ids replaced, to compare a hidden object with a missing one. */
function normalised(answer: Answer, ids: string[]): string {
  let text = JSON.stringify(answer.errors.map((e) => ({ message: e.message, extensions: e.extensions })));
  for (const id of ids) text = text.split(id).join('<id>');
  return text;
}
const idsIn = (vars: Vars) => Object.values(vars).filter((v): v is string => typeof v === 'string' && /^[a-z]+-[0-9a-f-]{36}$/.test(v));

describe('authorization matrix', () => {
  it('has a row for every root field of the schema (and of schema.graphql), and only those', () => {
    const rootFields = (s: GraphQLSchema) =>
      [s.getQueryType(), s.getMutationType(), s.getSubscriptionType()]
        .flatMap((type) => (type ? Object.keys(type.getFields()).map((f) => `${type.name.toLowerCase()}.${f}`) : []))
        .sort();
    const inTable = rows.map((r) => `${r.op}.${r.field}`);
    expect(new Set(inTable).size).toBe(inTable.length);
    expect([...inTable].sort()).toEqual(rootFields(schema));
    const printed = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');
    // schema.graphql may lag the code (`npm run schema:check` catches that); every field it lists must have a row
    if (existsSync(printed)) expect(inTable).toEqual(expect.arrayContaining(rootFields(buildSchema(readFileSync(printed, 'utf8')))));
    expect(ACTORS).toHaveLength(13);
  });

  describe.each(rows.map((r) => [`${r.op} ${r.field}`, r] as const))('%s', (_name, row) => {
    it.each(ACTORS)('%s', async (actor) => {
      const want = expected(row, actor);
      const fresh = want === OK && row.op === 'mutation';
      const w = fresh ? await buildWorld(api) : shared;
      const before = await head(api);
      const vars = row.vars(w);
      const answer = await run(row, actor, w, vars);

      if (want === OK) {
        expect(answer.errors, JSON.stringify(answer.errors)).toEqual([]);
        expect(answer.data).not.toBeNull();
        row.check?.({ [row.field]: answer.data }, w, actor);
        return;
      }
      expect(answer.errors.map((e) => e.extensions?.code)).toEqual([want]);
      expect(answer.data, 'a refusal carries no data').toBeNull();
      if (row.op === 'mutation') expect(await head(api), 'a refused mutation changes nothing').toBe(before);

      if (row.ghost && !MEMBERS_OF_A.includes(actor)) {
        const ghostVars = row.ghost(w);
        const ghost = await run(row, actor, w, ghostVars);
        expect(normalised(answer, idsIn(vars)), 'same answer as for an id that does not exist').toBe(normalised(ghost, idsIn(ghostVars)));
      }
    });
  });
});
