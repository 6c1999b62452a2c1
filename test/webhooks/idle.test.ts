/**
 * The webhook worker's step on an API without an enabled endpoint (src/webhooks/deliver.ts
 * `claimDueDeliveries`): the worker runs it after every commit, so it must cost one small read and
 * nothing more. With an endpoint it reads on, and delivers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { claimDueDeliveries } from '../../src/webhooks/deliver.ts';
import { CREATE_CONTAINER, countingReads, seedWorld, type TestApi } from '../support/api.ts';
import { createEndpoint, startWebhookApi } from './support.ts';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Runs one step and counts its reads outside a transaction (`db.read.select`; a step that goes on also reads in its write). */
const stepReads = (a: TestApi) =>
  countingReads(a, async (reads) => {
    const claimed = await claimDueDeliveries({ db: a.db, settings: a.config.webhooks }, Date.now());
    return { reads: reads(), claimed: claimed.length };
  });

describe('webhook worker step without endpoints', () => {
  it('reads once and claims nothing with no endpoint, or only a disabled one; reads on once one is enabled', async () => {
    api = await startWebhookApi();
    const w = await seedWorld(api, { hosts: 1 });
    await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    expect(await stepReads(api)).toEqual({ reads: 1, claimed: 0 });

    const { id } = await createEndpoint(api, w.projectId, 'http://127.0.0.1:9/hook');
    const update = `mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { enabled } } }`;
    await api.ok(update, { i: { id, enabled: false } });
    expect(await stepReads(api)).toEqual({ reads: 1, claimed: 0 });

    // Enabled, and a change after it: the step goes on and claims its delivery.
    await api.ok(update, { i: { id, enabled: true } });
    await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    const step = await stepReads(api);
    expect(step.reads).toBeGreaterThan(1);
    expect(step.claimed).toBe(1);
  });
});
