/**
 * Issue 13: a 413 closed the connection before the body was drained, so a client that writes its
 * whole body before reading (Python's urllib does, with `Connection: close`) saw a reset instead of
 * the 413. The Node server reads the refused body away first (src/node/drain.ts).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_REPORT_PATH } from '../../protocol/agent-report.ts';
import { DRAIN_BYTES } from '../../src/node/drain.ts';
import { type ApiServer, startApiServer } from '../support/api.ts';

let server: ApiServer;

beforeAll(async () => {
  server = await startApiServer({ AUTH_HS256_SECRET: 'body-limit-'.padEnd(40, 's'), MAX_BODY_BYTES: '10000' });
});
afterAll(async () => {
  await server?.close();
});

/** Writes the request and its whole body first, then reads: what a blocking client does. */
function writeAllThenRead(head: string, body: Buffer): Promise<{ response: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let response = '';
    let error: string | undefined;
    socket.on('data', (d) => (response += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on('close', () => resolve({ response, error }));
    socket.write(head);
    socket.end(body);
  });
}

describe.each(['/graphql', AGENT_REPORT_PATH])('issue 13: a refused body is answered with 413, not a reset (%s)', (path) => {
  const body = Buffer.alloc(5_000_000, 'x');

  it('with Content-Length and Connection: close', async () => {
    const { response, error } = await writeAllThenRead(
      `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    );
    expect(error).toBeUndefined();
    expect(response).toMatch(/^HTTP\/1.1 413 /);
    expect(response).toContain('"code":"BAD_USER_INPUT"');
  });

  it('chunked, without Content-Length', async () => {
    const chunked = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
    const { response, error } = await writeAllThenRead(
      `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n`,
      chunked,
    );
    expect(error).toBeUndefined();
    expect(response).toMatch(/^HTTP\/1.1 413 /);
  });

  it('a body past the drain cap is cut off rather than read forever', async () => {
    const huge = Buffer.alloc(DRAIN_BYTES + 4 * 1024 * 1024, 'x');
    const { response, error } = await writeAllThenRead(`POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: ${huge.length}\r\n\r\n`, huge);
    expect(response).toBe('');
    expect(error).toMatch(/ECONNRESET|EPIPE/);
  });
});
