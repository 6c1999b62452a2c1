/**
 * Dead letters, the retry schedule and redelivery, driven pass by pass through `runDeliveryPass`
 * (what a Workers Cron Trigger calls) with an explicit clock; the HTTP is real.
 */
import { describe, expect, it } from 'vitest';
import { runDeliveryPass, type DeliveryDeps } from '../../src/webhooks/deliver.ts';
import { CREATE_CONTAINER, seedWorld, type TestApi } from '../support/api.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { closeAfterEach, createEndpoint, DELIVERIES, startWebhookApi } from './support.ts';

let api: TestApi | undefined;
let r: Receiver | undefined;
closeAfterEach(
  () => [r, api],
  () => (api = r = undefined),
);

const nodes = (data: { webhookEndpoint: { deliveries: { edges: { node: Record<string, unknown> }[] } } }) =>
  data.webhookEndpoint.deliveries.edges.map((e) => e.node);

describe('dead letters and redelivery', () => {
  it('retries with exponential backoff, dead-letters after WEBHOOK_MAX_ATTEMPTS, moves on, and redelivers on demand', async () => {
    api = await startWebhookApi({ WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_BACKOFF_BASE_MS: '1000', WEBHOOK_BACKOFF_CAP_MS: '1500' });
    const w = await seedWorld(api, { hosts: 1 });
    let healthy = false;
    r = await startReceiver(() => (healthy ? 200 : 500));
    const ep = await createEndpoint(api, w.projectId, r.url, ['container.running', 'container.draining']);
    r.secrets = [ep.secret];
    const deps: DeliveryDeps = { db: api.db, settings: api.config.webhooks, random: () => 0 };
    const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    await api.ok(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: c.id });

    let t = Date.now();
    expect(await runDeliveryPass(deps, t)).toEqual({ attempted: 1, succeeded: 0, failed: 1, dead: 0 });
    let log = nodes(await api.ok(DELIVERIES, { id: ep.id }));
    expect(log).toMatchObject([{ eventType: 'container.running', status: 'FAILED', attempts: 1, lastResponseCode: 500, lastError: 'HTTP 500' }]);
    // random = 0: the delay after attempt n is half of min(cap, base·2^(n-1)), counted from the
    // end of the attempt (the margin allows for the request's own time on a loaded machine).
    const next1 = Date.parse(log[0].nextAttemptAt as string) - Date.parse(log[0].lastAttemptAt as string);
    expect(next1).toBeGreaterThanOrEqual(500);
    expect(next1).toBeLessThan(1500);
    expect(await runDeliveryPass(deps, t + 400)).toMatchObject({ attempted: 0 }); // not due yet; the draining change waits behind it
    t = Date.parse(log[0].nextAttemptAt as string);
    expect(await runDeliveryPass(deps, t)).toMatchObject({ attempted: 1, failed: 1 });
    log = nodes(await api.ok(DELIVERIES, { id: ep.id }));
    const next2 = Date.parse(log[0].nextAttemptAt as string) - Date.parse(log[0].lastAttemptAt as string);
    expect(next2).toBeGreaterThanOrEqual(750); // min(1500, 2000) / 2
    expect(next2).toBeLessThan(1750);
    t = Date.parse(log[0].nextAttemptAt as string);
    expect(await runDeliveryPass(deps, t)).toMatchObject({ attempted: 1, dead: 1 });
    // The line moved on: the next change is attempted right away.
    expect(await runDeliveryPass(deps, t)).toMatchObject({ attempted: 1, failed: 1 });
    log = nodes(await api.ok(DELIVERIES, { id: ep.id }));
    const dead = log.find((d) => d.eventType === 'container.running')!;
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 3, lastResponseCode: 500, nextAttemptAt: null, redeliveryOf: null });
    expect(log.find((d) => d.eventType === 'container.draining')).toMatchObject({ status: 'FAILED', attempts: 1 });
    const endpoint = await api.ok(`query($id: ID!) { webhookEndpoint(id: $id) { lastDeliveredRevision } }`, { id: ep.id });
    expect(endpoint.webhookEndpoint.lastDeliveredRevision).toBe(dead.revision);
    expect(await api.ok(DELIVERIES, { id: ep.id, s: 'DEAD' }).then(nodes)).toHaveLength(1);

    // The receiver is fixed; redeliver the dead one: same webhook-id, a new delivery row.
    healthy = true;
    const again = await api.ok(`mutation($d: ID!) { redeliver(deliveryId: $d) { delivery { id status attempts redeliveryOf webhookId } } }`, { d: dead.id });
    expect(again.redeliver.delivery).toMatchObject({ status: 'PENDING', attempts: 0, redeliveryOf: dead.id, webhookId: dead.webhookId });
    // Redeliver on an open delivery makes it due now instead of at its backoff time.
    const draining = log.find((d) => d.eventType === 'container.draining')!;
    await api.ok(`mutation($d: ID!) { redeliver(deliveryId: $d) { delivery { id } } }`, { d: draining.id });
    expect(await runDeliveryPass(deps, t)).toEqual({ attempted: 2, succeeded: 2, failed: 0, dead: 0 });
    const ids = r.received.map((m) => m.id);
    expect(ids.filter((id) => id === dead.webhookId)).toHaveLength(4); // 3 failed attempts + the redelivery
    expect(r.received.at(-1)!.status).toBe(200);
    expect(r.rejected).toEqual([]);
    log = nodes(await api.ok(DELIVERIES, { id: ep.id }));
    expect(
      log
        .filter((d) => d.status === 'SUCCEEDED')
        .map((d) => d.eventType)
        .sort(),
    ).toEqual(['container.draining', 'container.running']);
    expect(log.find((d) => d.id === dead.id)).toMatchObject({ status: 'DEAD' }); // the history stays
  });

  it('counts a timed-out attempt as failed and says so', async () => {
    api = await startWebhookApi({ WEBHOOK_TIMEOUT_MS: '300', WEBHOOK_MAX_ATTEMPTS: '1' });
    const w = await seedWorld(api, { hosts: 1 });
    r = await startReceiver(() => 'hang');
    const ep = await createEndpoint(api, w.projectId, r.url, ['application.created']);
    r.secrets = [ep.secret];
    await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id } } }`, {
      i: { projectId: w.projectId, name: 'late' },
    });
    const started = Date.now();
    expect(await runDeliveryPass({ db: api.db, settings: api.config.webhooks }, Date.now())).toMatchObject({ attempted: 1, dead: 1 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(nodes(await api.ok(DELIVERIES, { id: ep.id }))).toMatchObject([
      { status: 'DEAD', attempts: 1, lastResponseCode: null, lastError: 'timed out after 300 ms' },
    ]);
  });
});
