/**
 * Shared helpers of the webhook suites: an in-process API with private targets allowed (the
 * receiver is on 127.0.0.1), fast retry settings, and GraphQL snippets.
 */
import { afterEach } from 'vitest';
import { startWebhookWorker, type WebhookWorker } from '../../src/node/webhook-worker.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

export const FAST = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_BACKOFF_BASE_MS: '20',
  WEBHOOK_BACKOFF_CAP_MS: '100',
  WEBHOOK_TIMEOUT_MS: '3000',
  FEED_POLL_MS: '50',
};

export async function startWebhookApi(env: Record<string, string> = {}, options: { now?: () => number } = {}): Promise<TestApi> {
  return startTestApi({ ...FAST, ...env }, options);
}

/**
 * After each test, closes what `held()` returns (a suite's receiver, then its API; unset ones are
 * skipped), then `reset()` clears the suite's variables for the next test.
 */
export function closeAfterEach(held: () => ({ close(): Promise<void> } | undefined)[], reset: () => void): void {
  afterEach(async () => {
    for (const open of held()) await open?.close();
    reset();
  });
}

/** Starts the Node background worker on a test API (what src/node/server.ts does). */
export function startWorker(api: TestApi): WebhookWorker {
  return startWebhookWorker({ db: api.db, hub: api.hub, config: api.config, log: () => {} });
}

export const CREATE_ENDPOINT = `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id url events enabled lastDeliveredRevision } } }`;

export async function createEndpoint(api: TestApi, projectId: string, url: string, events: string[] = [], token?: string) {
  const r = await api.ok(CREATE_ENDPOINT, { i: { projectId, url, events } }, token);
  return { id: r.createWebhookEndpoint.endpoint.id as string, secret: r.createWebhookEndpoint.secret as string };
}

export const DELIVERIES = `query($id: ID!, $s: WebhookDeliveryStatus) { webhookEndpoint(id: $id) { lastDeliveredRevision deliveries(first: 100, status: $s) { edges { node { id webhookId revision eventType status attempts nextAttemptAt lastAttemptAt lastResponseCode lastError redeliveryOf } } } } }`;

/** All revisions of a project's feed after `since`, oldest first. */
export async function projectRevisions(api: TestApi, projectId: string, since: number): Promise<{ revision: number; kind: string }[]> {
  const r = await api.ok(`query($p: ID!, $s: Int!) { projectChanges(projectId: $p, since: $s, first: 5000) { changes { revision kind } } }`, {
    p: projectId,
    s: since,
  });
  return r.projectChanges.changes;
}
