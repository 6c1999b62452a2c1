/**
 * The webhook GraphQL surface: secrets shown once, authorization by project role, the event
 * filter, secret rotation with an overlap window (checked with the stock verifier), disable and
 * delete, and `publicRoutes` for the public router integration.
 */
import { describe, expect, it } from 'vitest';
import { runDeliveryPass } from '../../src/webhooks/deliver.ts';
import { CREATE_CONTAINER, seedWorld, type TestApi } from '../support/api.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { CREATE_ENDPOINT, closeAfterEach, createEndpoint, startWebhookApi } from './support.ts';

let api: TestApi | undefined;
let r: Receiver | undefined;
closeAfterEach(
  () => [r, api],
  () => (api = r = undefined),
);

const createApp = (a: TestApi, projectId: string, name: string) =>
  a.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id } } }`, { i: { projectId, name } });

describe('webhook API', () => {
  it('shows the secret once and authorizes by project role', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 0 });
    const other = await seedWorld(api, { hosts: 0, name: 'other' });
    const writer = await api.token({ kind: 'user', sub: 'w', projects: { [w.projectId]: 'write' } });
    const reader = await api.token({ kind: 'user', sub: 'r', projects: { [w.projectId]: 'read' } });
    const stranger = await api.token({ kind: 'user', sub: 's', projects: { [other.projectId]: 'write' } });

    const created = await api.ok(
      CREATE_ENDPOINT,
      { i: { projectId: w.projectId, url: 'http://127.0.0.1:9/hook', events: ['container.running', 'container.running'] } },
      writer,
    );
    const { secret, endpoint } = created.createWebhookEndpoint;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toMatchObject({ url: 'http://127.0.0.1:9/hook', events: ['container.running'], enabled: true });
    const introspect = await api.ok(`{ __type(name: "WebhookEndpoint") { fields { name } } }`);
    expect(introspect.__type.fields.map((f: { name: string }) => f.name).filter((n: string) => /secret/i.test(n))).toEqual(['previousSecretExpiresAt']);

    const list = `query($p: ID!) { project(id: $p) { webhookEndpoints { id url } } }`;
    expect((await api.ok(list, { p: w.projectId }, reader)).project.webhookEndpoints).toEqual([{ id: endpoint.id, url: endpoint.url }]);
    const code = async (q: string, v: Record<string, unknown>, t: string) => (await api!.gql(q, v, t)).errors?.[0].extensions?.code;
    expect(await code(CREATE_ENDPOINT, { i: { projectId: w.projectId, url: 'http://127.0.0.1:9/' } }, reader)).toBe('FORBIDDEN');
    expect(await code(CREATE_ENDPOINT, { i: { projectId: w.projectId, url: 'http://127.0.0.1:9/' } }, stranger)).toBe('NOT_FOUND');
    expect(await code(`query($id: ID!) { webhookEndpoint(id: $id) { id } }`, { id: endpoint.id }, stranger)).toBe('NOT_FOUND');
    expect(await code(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }`, { id: endpoint.id }, reader)).toBe('FORBIDDEN');
    expect(await code(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id }, stranger)).toBe('NOT_FOUND');
    expect(await code(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id }, reader)).toBe('FORBIDDEN');
    expect(await code(CREATE_ENDPOINT, { i: { projectId: w.projectId, url: 'http://127.0.0.1:9/' } }, '')).toBe('UNAUTHENTICATED');
    expect(await code(`query($id: ID!) { webhookEndpoint(id: $id) { id } }`, { id: 'wh-nope' }, writer)).toBe('NOT_FOUND');

    const bad = await api.gql(
      CREATE_ENDPOINT,
      { i: { projectId: w.projectId, url: 'http://127.0.0.1:9/', events: ['container.running', 'container.exploded'] } },
      writer,
    );
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(bad.errors?.[0].message).toMatch(/unknown event type "container.exploded"/);
    const types = (await api.ok(`{ webhookEventTypes }`)).webhookEventTypes;
    expect(types).toEqual(
      expect.arrayContaining([
        'container.running',
        'container.draining',
        'container.removed',
        'process.exposure_changed',
        'application.created',
        'application.deleted',
      ]),
    );
    // The fleet-safety events are offered now that services emit them; a made-up one is refused.
    for (const kind of ['host.down', 'host.up', 'host.brake_engaged', 'container.drained']) expect(types).toContain(kind);
    const madeUp = await api.gql(CREATE_ENDPOINT, { i: { projectId: w.projectId, url: 'http://127.0.0.1:9/', events: ['host.exploded'] } }, writer);
    expect(madeUp.errors?.[0].message).toMatch(/unknown event type "host.exploded"/);

    const deleted = await api.ok(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }`, { id: endpoint.id }, writer);
    expect(deleted.deleteWebhookEndpoint.deletedId).toBe(endpoint.id);
    expect((await api.ok(list, { p: w.projectId })).project.webhookEndpoints).toEqual([]);
  });

  it('rotates the secret: both sign during the overlap, only the new one after it', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 0 });
    r = await startReceiver();
    const ep = await createEndpoint(api, w.projectId, r.url, ['application.created']);
    const deps = { db: api.db, settings: api.config.webhooks };
    const rotated = await api.ok(`mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 60) { secret endpoint { previousSecretExpiresAt } } }`, {
      id: ep.id,
    });
    const fresh = rotated.rotateWebhookSecret.secret;
    expect(fresh).not.toBe(ep.secret);
    expect(Date.parse(rotated.rotateWebhookSecret.endpoint.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(55_000);
    r.secrets = [ep.secret, fresh];

    await createApp(api, w.projectId, 'one');
    await runDeliveryPass(deps, Date.now());
    expect(r.received[0].headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(r.received[0].verifiedWith).toEqual([0, 1]); // a receiver with either secret accepts it

    await createApp(api, w.projectId, 'two');
    await runDeliveryPass(deps, Date.now() + 61_000); // after the overlap window
    expect(r.received[1].headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(r.received[1].verifiedWith).toEqual([1]); // only the new secret
    expect(r.rejected).toEqual([]);
  });

  it('a disabled endpoint keeps its place and catches up in order when enabled again', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 0 });
    r = await startReceiver();
    const ep = await createEndpoint(api, w.projectId, r.url, ['application.created']);
    r.secrets = [ep.secret];
    const deps = { db: api.db, settings: api.config.webhooks };
    const update = `mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { enabled events } } }`;
    expect((await api.ok(update, { i: { id: ep.id, enabled: false } })).updateWebhookEndpoint.endpoint.enabled).toBe(false);
    await createApp(api, w.projectId, 'a1');
    await createApp(api, w.projectId, 'a2');
    expect(await runDeliveryPass(deps)).toMatchObject({ attempted: 0 });
    await api.ok(update, { i: { id: ep.id, enabled: true } });
    while ((await runDeliveryPass(deps)).attempted > 0);
    expect(r.received.map((m) => (m.body.data.payload as { application: { name: string } }).application.name)).toEqual(['a1', 'a2']);
    expect((await api.gql(update, { i: { id: ep.id, url: 'http://10.0.0.1/' } })).errors).toBeUndefined(); // private targets allowed in this suite
  });

  it('publicRoutes lists PUBLIC process types with their RUNNING containers', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 1 });
    const make = async (type: string) =>
      (await api!.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: type, hostId: w.hostIds[0] } })).createContainer.container;
    const [web1, web2, worker1] = [await make('web'), await make('web'), await make('worker')];
    for (const c of [web1, worker1]) await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    const q = `query($p: ID!) { publicRoutes(projectId: $p) { processType application { name } containers { id ip state } } }`;
    expect((await api.ok(q, { p: w.projectId })).publicRoutes).toEqual([
      { processType: 'web', application: { name: 'api' }, containers: [{ id: web1.id, ip: web1.ip, state: 'RUNNING' }] },
    ]);
    await api.ok(`mutation($a: ID!) { setProcessExposure(applicationId: $a, processType: "worker", exposure: PUBLIC) { revision } }`, { a: w.applicationId });
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: web2.id });
    const routes = (await api.ok(q, { p: w.projectId })).publicRoutes;
    expect(routes.map((x: { processType: string; containers: unknown[] }) => [x.processType, x.containers.length])).toEqual([
      ['web', 2],
      ['worker', 1],
    ]);
    const reader = await api.token({ kind: 'user', sub: 'r', projects: { [w.projectId]: 'read' } });
    const stranger = await api.token({ kind: 'user', sub: 's', projects: {} });
    expect((await api.gql(q, { p: w.projectId }, reader)).errors).toBeUndefined();
    expect((await api.gql(q, { p: w.projectId }, stranger)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
