/**
 * Server-sent events as the scale bench's raw consumers read them: a splitter that cuts a response
 * body into frames (a frame ends at an empty line; the API, graphql-yoga, writes `\n` line ends
 * only), the frame's fields, and a byte tally by what the frame carried — a keep-alive (a comment
 * line, `:`), a change of some kind, a CURSOR, a RESYNC, the end of the stream. Pure; bytes are the
 * body's bytes (HTTP headers and chunked-encoding framing excluded), the delimiter included.
 */

/** One frame: its `event:` and joined `data:` lines, whether it held only comments, its size. */
export interface SseFrame {
  event: string | null;
  data: string | null;
  comment: boolean;
  bytes: number;
}

/** Cuts a byte stream into frames; `push` returns the frames completed by `chunk`. */
export class SseSplitter {
  private pending: Buffer | null = null;

  push(chunk: Buffer): SseFrame[] {
    const buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: SseFrame[] = [];
    let start = 0;
    for (;;) {
      const end = buffer.indexOf('\n\n', start);
      if (end < 0) break;
      frames.push(parseFrame(buffer.toString('utf8', start, end), end + 2 - start));
      start = end + 2;
    }
    this.pending = start < buffer.length ? buffer.subarray(start) : null;
    return frames;
  }

  /** Bytes received that no complete frame holds yet. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }
}

/** The fields of one frame's text (without its closing empty line), `bytes` long on the wire. */
export function parseFrame(text: string, bytes: number): SseFrame {
  let event: string | null = null;
  let data: string | null = null;
  let comment = true;
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) continue;
    comment = false;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
    if (field === 'event') event = value;
    else if (field === 'data') data = data === null ? value : `${data}\n${value}`;
  }
  return { event, data, comment, bytes };
}

/** A `hostChanges` event as the subscription sends it. */
export interface HostChangesEvent {
  type: 'CHANGE' | 'CURSOR' | 'RESYNC';
  revision: number;
  generation?: string | null;
  change: { revision?: number; kind: string; networkId: string | null; committedAt: string; payload: Record<string, unknown> } | null;
}

/** What a frame carried: the tally key and, for a `next` event, the subscription's event. */
export interface Classified {
  key: string;
  event?: HostChangesEvent;
  error?: string;
}

/**
 * Tally keys: `keepalive`, `change:<kind>`, `cursor`, `resync`, `complete`, `error`, `other`.
 * Only `change:*` frames are data; the others are counted apart.
 */
export function classifyFrame(frame: SseFrame): Classified {
  if (frame.comment) return { key: 'keepalive' };
  if (frame.event === 'complete') return { key: 'complete' };
  if (frame.event !== 'next' || frame.data === null) return { key: 'other' };
  const message = JSON.parse(frame.data) as { data?: { hostChanges?: HostChangesEvent }; errors?: { message: string }[] };
  const event = message.data?.hostChanges;
  if (message.errors?.length || !event) return { key: 'error', error: message.errors?.[0]?.message ?? 'no hostChanges in the event' };
  if (event.type === 'CHANGE' && event.change) return { key: `change:${event.change.kind}`, event };
  return { key: event.type.toLowerCase(), event };
}

/** Frames and bytes per tally key. */
export type Tally = Record<string, { frames: number; bytes: number }>;

/** Adds one frame to `tally`. */
export function count(tally: Tally, key: string, bytes: number): void {
  const t = (tally[key] ??= { frames: 0, bytes: 0 });
  t.frames++;
  t.bytes += bytes;
}

/** The sum of tallies (e.g. of several consumer processes). */
export function addTallies(...tallies: Tally[]): Tally {
  const sum: Tally = {};
  for (const t of tallies)
    for (const [key, v] of Object.entries(t)) {
      const s = (sum[key] ??= { frames: 0, bytes: 0 });
      s.frames += v.frames;
      s.bytes += v.bytes;
    }
  return sum;
}

/** What `after` holds beyond `before` (two readings of the same cumulative tally). */
export function tallySince(after: Tally, before: Tally): Tally {
  const d: Tally = {};
  for (const [key, v] of Object.entries(after)) {
    const b = before[key] ?? { frames: 0, bytes: 0 };
    if (v.frames > b.frames) d[key] = { frames: v.frames - b.frames, bytes: v.bytes - b.bytes };
  }
  return d;
}

/** Frames and bytes of the keys `pick` selects (e.g. the data frames: keys starting with `change:`). */
export function totalOf(tally: Tally, pick: (key: string) => boolean): { frames: number; bytes: number } {
  let frames = 0;
  let bytes = 0;
  for (const [key, v] of Object.entries(tally))
    if (pick(key)) {
      frames += v.frames;
      bytes += v.bytes;
    }
  return { frames, bytes };
}

export const isData = (key: string) => key.startsWith('change:');
