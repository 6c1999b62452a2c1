/**
 * Refused request bodies are read away before the 413 goes out. The API refuses a body over
 * MAX_BODY_BYTES without reading it; answering at once and closing the socket while the body still
 * arrives makes the kernel send a reset, and a client that writes its whole body before it reads
 * (Python's urllib, many SDKs, anything sending `Connection: close`, after which Node closes the
 * socket as soon as the answer is out) sees "connection reset" or "broken pipe" instead of the 413.
 * So the rest of the body is read and thrown away first, for at most DRAIN_MS and DRAIN_BYTES (past
 * either, the socket is destroyed: that client is not sending a request any more), then the 413 is
 * answered. nginx's lingering close solves the same problem after answering; Node's http server
 * leaves no room for that.
 */
import type { IncomingMessage } from 'node:http';

export const DRAIN_MS = 5000;
export const DRAIN_BYTES = 64 * 1024 * 1024;

/** `AppDeps.drainRefusedBody` on Node: `env` is @hono/node-server's `{ incoming, outgoing }`. */
export async function drainRefusedBody(env: unknown): Promise<void> {
  const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || incoming.complete || incoming.destroyed) return;
  // The body's web stream pulls once on its own, a turn after it is created, and only then attaches
  // to the request: let that happen first, or its listener would arrive after ours were set up.
  await new Promise((resolve) => setImmediate(resolve));
  if (incoming.complete || incoming.destroyed) return;
  return new Promise<void>((resolve) => {
    let bytes = 0;
    const giveUp = () => (incoming.socket.destroy(), resolve());
    const timer = setTimeout(giveUp, DRAIN_MS);
    timer.unref();
    // bodyLimit stopped reading the body's web stream (or never started), and that stream pauses the
    // request whenever its queue is full: detach it, as Node's own IncomingMessage._dump does, and
    // count the bytes here.
    incoming.removeAllListeners('data');
    incoming.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > DRAIN_BYTES) clearTimeout(timer), giveUp();
    });
    incoming.once('end', () => (clearTimeout(timer), resolve()));
    incoming.once('close', () => (clearTimeout(timer), resolve()));
    incoming.resume();
  });
}
