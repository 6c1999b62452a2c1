/**
 * Webhooks and feed retention: idle endpoints follow the head (housekeeping), so only an endpoint
 * that really fell behind the retained window reports a gap — as a DEAD `feed.compacted` entry in
 * its log — and then carries on with the changes that are left.
 */
import { describe, expect, it } from 'vitest';
import { compactFeed } from '../../src/feed/compact.ts';
import { headRevision } from '../../src/feed/snapshot.ts';
import { runDeliveryPass } from '../../src/webhooks/deliver.ts';
import { webhookHousekeeping } from '../../src/webhooks/housekeeping.ts';
import { seedWorld, type TestApi } from '../support/api.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { closeAfterEach, createEndpoint, DELIVERIES, startWebhookApi } from './support.ts';

let api: TestApi | undefined;
let r: Receiver | undefined;
closeAfterEach(
  () => [r, api],
  () => (api = r = undefined),
);

describe('webhooks and feed retention', () => {
  it('advances idle cursors and reports a real gap once, then carries on', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 0 });
    r = await startReceiver();
    const quiet = await createEndpoint(api, w.projectId, r.url, ['application.deleted']);
    const behind = await createEndpoint(api, w.projectId, r.url, ['application.created']);
    r.secrets = [quiet.secret, behind.secret];
    const deps = { db: api.db, settings: api.config.webhooks };
    await api.ok(`mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { id } } }`, {
      i: { id: behind.id, enabled: false },
    });
    for (const name of ['g1', 'g2'])
      await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { revision } }`, { i: { projectId: w.projectId, name } });

    expect(await webhookHousekeeping(api.db, 0)).toEqual({ advanced: 1, pruned: 0 }); // `behind` is disabled but owes two changes: it stays
    const head = await headRevision(api.db.read);
    const cursor = async (id: string) =>
      (await api!.ok(`query($id: ID!) { webhookEndpoint(id: $id) { lastDeliveredRevision } }`, { id })).webhookEndpoint.lastDeliveredRevision;
    expect(await cursor(quiet.id)).toBe(head);

    const { compactedThrough } = await compactFeed(api.db, { throughRevision: head });
    await api.ok(`mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { id } } }`, { i: { id: behind.id, enabled: true } });
    await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { revision } }`, { i: { projectId: w.projectId, name: 'g3' } });
    while ((await runDeliveryPass(deps)).attempted > 0);

    const log = (await api.ok(DELIVERIES, { id: behind.id })).webhookEndpoint.deliveries.edges.map((e: { node: unknown }) => e.node);
    const gap = log.find((d: { eventType: string }) => d.eventType === 'feed.compacted');
    expect(gap).toMatchObject({ status: 'DEAD', revision: compactedThrough, attempts: 0 });
    expect(gap.lastError).toMatch(/removed by feed retention/);
    expect(r.received.map((m) => (m.body.data.payload as { application: { name: string } }).application.name)).toEqual(['g2', 'g3']); // retention always keeps the newest row (g2)
    expect((await api.ok(DELIVERIES, { id: quiet.id })).webhookEndpoint.deliveries.edges).toEqual([]); // no false gap
    const redo = await api.gql(`mutation($d: ID!) { redeliver(deliveryId: $d) { delivery { id } } }`, { d: gap.id });
    expect(redo.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    expect((await webhookHousekeeping(api.db, Date.now() + 1)).pruned).toBe(3); // final deliveries past retention leave the log
  });
});
