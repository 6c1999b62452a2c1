/**
 * The agent's report client and the `passes` field (protocol/agent-report.ts): an API older than
 * the field refuses it as unknown, so the client reports again without it and leaves it out from
 * then on; any other refusal is the caller's, with its code and field. A loopback server plays the
 * older API and records every body it is sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, createApiClient } from '../../agent/api/client.ts';

let server: Server | null = null;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A report route that answers 204, or `refusal` (BAD_USER_INPUT) to any body with passes. */
async function olderApi(refusal: { field: string; message: string }) {
  const bodies: Record<string, unknown>[] = [];
  server = createServer((req, res) => {
    let text = '';
    req
      .on('data', (c) => (text += c))
      .on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        bodies.push(body);
        if (!('passes' in body)) return void res.writeHead(204).end();
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: 'BAD_USER_INPUT', field: refusal.field } }] }));
      });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, bodies };
}

const report = (appliedRevision: number) => ({ hostId: 'h1', appliedRevision, passes: [{ revision: appliedRevision, agoMs: 3 }] });

describe('the agent report client', () => {
  it('reports again without passes to an API that does not know them, and leaves them out from then on', async () => {
    const api = await olderApi({ field: 'passes', message: 'unknown field passes' });
    const client = createApiClient(api.url, 'token');
    await client.report(report(7));
    await client.report(report(8));
    expect(api.bodies).toEqual([report(7), { hostId: 'h1', appliedRevision: 7 }, { hostId: 'h1', appliedRevision: 8 }]);
  });

  it('throws any other refusal with its code and field, and keeps sending passes', async () => {
    const api = await olderApi({ field: 'passes.0.agoMs', message: 'agoMs must not be negative' });
    const client = createApiClient(api.url, 'token');
    const error = await client.report(report(7)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect([(error as ApiError).code, (error as ApiError).field, (error as ApiError).message]).toEqual([
      'BAD_USER_INPUT',
      'passes.0.agoMs',
      'agoMs must not be negative',
    ]);
    await client.report(report(8)).catch(() => {});
    expect(api.bodies).toEqual([report(7), report(8)]);
  });
});
