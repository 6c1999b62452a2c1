/**
 * Webhooks on Workers: the first attempt runs in `waitUntil` right after the mutation's commit; a
 * failed attempt is retried by the Cron Trigger (`scheduled()`), sharing src/webhooks with Node.
 * The receiver is a plain HTTP server on 127.0.0.1, reached by the Worker's own fetch.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerApi, type WorkerApi } from './worker-api.ts';

interface Received {
  headers: Record<string, string>;
  body: string;
  status: number;
}

let api: WorkerApi;
let receiver: Server;
let receiverUrl = '';
const received: Received[] = [];
let answers: number[] = []; // statuses to answer, in order; then 200

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answers.shift() ?? 200;
      received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  api = await startWorkerApi({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_BACKOFF_BASE_MS: '1', WEBHOOK_BACKOFF_CAP_MS: '10', WEBHOOK_TIMEOUT_MS: '3000' });
});

afterAll(async () => {
  await api?.close();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

async function until<T>(get: () => T | undefined, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

describe('webhooks on Workers', () => {
  it('delivers a signed event right after the commit, and retries a failure from the cron', async () => {
    const p = await api.ok(`mutation { createProject(input: { name: "hooks" }) { project { id } } }`);
    const projectId: string = p.createProject.project.id;
    const e = await api.ok(`mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } secret } }`, {
      i: { projectId, url: receiverUrl, events: ['application.created'] },
    });
    const secret: string = e.createWebhookEndpoint.secret;

    const a = await api.ok(`mutation($p: ID!) { createApplication(input: { projectId: $p, name: "first" }) { revision } }`, { p: projectId });
    const first = await until(() => received.find((r) => r.body.includes('"first"')));
    const payload = new Webhook(secret).verify(first.body, first.headers) as { type: string; revision?: number };
    expect(JSON.stringify(payload)).toContain('application.created');
    expect(first.headers['webhook-id']).toContain(String(a.createApplication.revision));

    // The receiver fails the next attempt; no request arrives after it until the cron runs.
    answers = [503];
    await api.ok(`mutation($p: ID!) { createApplication(input: { projectId: $p, name: "second" }) { revision } }`, { p: projectId });
    const failed = await until(() => received.find((r) => r.body.includes('"second"')));
    expect(failed.status).toBe(503);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((r) => r.body.includes('"second"'))).toHaveLength(1);
    await api.harness.getWorker().scheduled({ cron: '* * * * *', scheduledTime: new Date() });
    const retried = await until(() => received.filter((r) => r.body.includes('"second"'))[1]);
    expect(retried.status).toBe(200);
    expect(retried.headers['webhook-id']).toBe(failed.headers['webhook-id']); // same message, at least once
    new Webhook(secret).verify(retried.body, retried.headers);
  });
});
