import { describe, expect, it } from 'vitest';
import { openSse } from './sse.ts';

/** A response whose body arrives in the given byte chunks. */
const streamed = (chunks: Uint8Array[]) => async () =>
  new Response(new ReadableStream({ start: (c) => (chunks.forEach((b) => c.enqueue(b)), c.close()) }), { headers: { 'content-type': 'text/event-stream' } });

describe('openSse', () => {
  it('keeps a multi-byte character whole when a chunk boundary splits it', async () => {
    const bytes = new TextEncoder().encode('event: next\ndata: {"name":"café"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    const stream = await openSse(streamed([bytes.slice(0, cut), bytes.slice(cut)]), 'http://weft.test/graphql', '{ x }', {}, null);
    expect(await stream.waitFor(() => false, 2000)).toBe('ended');
    expect(stream.frames.map(({ event, data }) => ({ event, data }))).toEqual([{ event: 'next', data: { name: 'café' } }]);
    await stream.close();
  });
});
