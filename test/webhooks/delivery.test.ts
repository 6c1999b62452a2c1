import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookWorker } from '../../src/node/webhook-worker.ts';
import { CREATE_CONTAINER, seedWorld, type TestApi } from '../support/api.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { createEndpoint, projectRevisions, startWebhookApi, startWorker } from './support.ts';

let api: TestApi | undefined;
let worker: WebhookWorker | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  await worker?.close();
  for (const r of receivers.splice(0)) await r.close();
  await api?.close();
  worker = api = undefined;
});

async function receiver(respond?: Receiver['respond']) {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

/** Drives a project through a container's whole life, exposure switches and an app deletion. */
async function lifeCycle(a: TestApi, w: Awaited<ReturnType<typeof seedWorld>>) {
  const c = (await a.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
  await a.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
  await a.ok(`mutation($a: ID!) { setProcessExposure(applicationId: $a, processType: "worker", exposure: PUBLIC) { revision } }`, { a: w.applicationId });
  await a.ok(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: c.id });
  await a.ok(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.id });
  await a.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id } } }`, {
    i: { projectId: w.projectId, name: 'second' },
  });
  await a.ok(`mutation($id: ID!) { deleteApplication(id: $id) { revision } }`, { id: w.applicationId });
}

describe('webhook delivery', () => {
  it('delivers every change of the project once, signed, in revision order, with the documented body', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 1 });
    const r = await receiver();
    const since = (await projectRevisions(api, w.projectId, 0)).at(-1)!.revision;
    const ep = await createEndpoint(api, w.projectId, r.url);
    r.secrets = [ep.secret];
    worker = startWorker(api);
    await lifeCycle(api, w);
    const expected = await projectRevisions(api, w.projectId, since);
    await r.until((got) => got.length >= expected.length);
    await new Promise((s) => setTimeout(s, 200)); // nothing more arrives
    expect(r.rejected).toEqual([]);
    expect(r.received.map((m) => [m.revision, m.type])).toEqual(expected.map((c) => [c.revision, c.kind]));
    expect(expected.map((c) => c.kind)).toEqual(
      expect.arrayContaining([
        'container.created',
        'container.running',
        'process.exposure_changed',
        'container.draining',
        'container.removed',
        'application.created',
        'application.deleted',
      ]),
    );
    const first = r.received.find((m) => m.type === 'container.created')!;
    expect(first.id).toBe(`${ep.id}:${first.revision}`);
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(Math.abs(Number(first.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    expect(first.body).toMatchObject({
      type: 'container.created',
      data: { revision: first.revision, projectId: w.projectId, payload: { container: { processType: 'web' } } },
    });
    const running = r.received.find((m) => m.type === 'container.running')!;
    expect(running.body.data.payload).toMatchObject({ container: { state: 'RUNNING' } });
  });

  it('sends only the event types of the filter, and keeps each endpoint on its own cursor', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 1 });
    const all = await receiver();
    const some = await receiver();
    const epAll = await createEndpoint(api, w.projectId, all.url);
    const epSome = await createEndpoint(api, w.projectId, some.url, ['container.running', 'application.deleted']);
    all.secrets = [epAll.secret];
    some.secrets = [epSome.secret];
    worker = startWorker(api);
    await lifeCycle(api, w);
    await some.until((got) => got.some((m) => m.type === 'application.deleted'));
    await all.until((got) => got.some((m) => m.type === 'application.deleted'));
    expect(some.received.map((m) => m.type)).toEqual(['container.running', 'application.deleted']);
    expect(all.received.length).toBeGreaterThan(5);
    const endpoint = await api.ok(`query($id: ID!) { webhookEndpoint(id: $id) { lastDeliveredRevision events } }`, { id: epSome.id });
    expect(endpoint.webhookEndpoint).toEqual({ lastDeliveredRevision: some.received.at(-1)!.revision, events: ['application.deleted', 'container.running'] });
  });

  it('keeps revision order under retries: the receiver fails the first attempts', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 1 });
    let requests = 0;
    // The first five requests fail (503, 500, …); later ones succeed only on a message's 2nd try.
    const r = await receiver((m) => (++requests <= 5 ? 500 + (requests % 4) : m.seen === 1 && m.revision % 2 === 0 ? 502 : 200));
    const since = (await projectRevisions(api, w.projectId, 0)).at(-1)!.revision;
    const ep = await createEndpoint(api, w.projectId, r.url);
    r.secrets = [ep.secret];
    worker = startWorker(api);
    await lifeCycle(api, w);
    const expected = (await projectRevisions(api, w.projectId, since)).map((c) => c.revision);
    await r.until(() => r.delivered().length >= expected.length);
    expect(r.rejected).toEqual([]);
    expect(r.delivered()).toEqual(expected);
    const arrivals = r.received.map((m) => m.revision);
    expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b)); // never an older revision after a newer one
    expect(arrivals.length).toBeGreaterThan(expected.length);
    const log = await api.ok(
      `query($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 100) { edges { node { revision status attempts lastResponseCode } } } } }`,
      { id: ep.id },
    );
    const head = log.webhookEndpoint.deliveries.edges.map((e: { node: unknown }) => e.node).find((d: { revision: number }) => d.revision === expected[0]);
    expect(head).toMatchObject({ status: 'SUCCEEDED', attempts: 6, lastResponseCode: 200 });
  });

  it('a hanging receiver delays neither API mutations nor another endpoint', async () => {
    api = await startWebhookApi({ WEBHOOK_TIMEOUT_MS: '15000' }); // the hung request outlives the whole test
    const w = await seedWorld(api, { hosts: 1 });
    const slow = await receiver(() => 'hang');
    const fast = await receiver();
    const epSlow = await createEndpoint(api, w.projectId, slow.url);
    const epFast = await createEndpoint(api, w.projectId, fast.url);
    slow.secrets = [epSlow.secret];
    fast.secrets = [epFast.secret];
    worker = startWorker(api);
    const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
    await slow.until((got) => got.length === 1);
    await fast.until((got) => got.length === 2, 5000);
    const t0 = Date.now();
    for (const mutation of ['markContainerRunning', 'drainContainer', 'removeContainer']) {
      const started = Date.now();
      await api.ok(`mutation($id: ID!) { ${mutation}(id: $id) { revision } }`, { id: c.id });
      expect(Date.now() - started).toBeLessThan(2000);
    }
    await fast.until((got) => got.length === 6, 8000);
    expect(Date.now() - t0).toBeLessThan(8000); // far below the 15 s the hung request may take
    expect(fast.received.map((m) => m.type)).toEqual([
      'network.joined',
      'container.created',
      'container.running',
      'container.draining',
      'container.removed',
      'network.left',
    ]);
    expect(slow.received.map((m) => m.type)).toEqual(['network.joined']); // its line waits for the hung one
    const state = await api.ok(`query($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 10) { edges { node { eventType status attempts } } } } }`, {
      id: epSlow.id,
    });
    expect(state.webhookEndpoint.deliveries.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { eventType: 'network.joined', status: 'PENDING', attempts: 1 },
    ]);
  });
});
