/**
 * Counts the bytes this process receives over HTTP, split into event streams (the agents' feed
 * subscriptions) and everything else (snapshots, reports), by wrapping `globalThis.fetch`. Install
 * it before any API client is created: graphql-sse captures `fetch` when its client is built.
 */
export interface ByteCounter {
  sse: number;
  other: number;
}

export const received: ByteCounter = { sse: 0, other: 0 };

let installed = false;

/** Wraps `globalThis.fetch` once; the counters are cumulative (read deltas). */
export function installByteCounter(): ByteCounter {
  if (installed) return received;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await original(input, init);
    if (!response.body) return response;
    const key: keyof ByteCounter = (response.headers.get('content-type') ?? '').includes('text/event-stream') ? 'sse' : 'other';
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received[key] += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return received;
}
