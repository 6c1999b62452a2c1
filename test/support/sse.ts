/**
 * The one GraphQL-over-SSE reader of the tests (graphql-sse "distinct connections" mode, as Yoga
 * serves it): `openSse` reads a subscription's frames in the background, decoding with
 * `{ stream: true }` so a multi-byte character split across chunks stays whole. The three ways
 * the suites use it sit on top: `subscribeSse` (one answer, then hang up), `readSse` (the payloads
 * of the first `next` events) and `watchSse` (a subscription kept open, its events timed).
 */
import type { TestApi } from './api.ts';

/** One SSE frame: its `event` name (`message` when it has none) and its `data` parsed as JSON. */
export interface SseFrame {
  event: string;
  data: unknown;
  /** performance.now() when the frame was read. */
  at: number;
}

export interface SseStream {
  status: number;
  contentType: string;
  /** Every frame read so far, in order. */
  frames: SseFrame[];
  /** Resolves when `test(frames)` holds, the server ends the stream, or `ms` pass — whichever is first. */
  waitFor(test: (frames: SseFrame[]) => boolean, ms: number): Promise<'matched' | 'ended' | 'timeout'>;
  /** Hangs up and waits for the reader to stop. */
  close(): Promise<void>;
}

/** Sends a GraphQL request asking for an event stream; `send` is `fetch` or an in-process app's. */
export async function openSse(
  send: (request: Request) => Promise<Response>,
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
): Promise<SseStream> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const response = await send(new Request(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: abort.signal }));
  const frames: SseFrame[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  let ended = !response.body;
  let failed: unknown;
  let closed = false;
  const reader = response.body?.getReader();
  const pump = (async () => {
    if (!reader) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: ?(.*)$/m.exec(frame)?.[1] ?? 'message';
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (data || event !== 'message') frames.push({ event, data: data ? JSON.parse(data) : null, at: performance.now() });
        }
        wake();
      }
      ended = !closed;
    } catch (error) {
      if (!closed) failed = error;
    }
    wake();
  })();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    frames,
    waitFor(test, ms) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const outcome = test(frames) ? 'matched' : failed ? 'failed' : ended ? 'ended' : null;
          if (!outcome) return false;
          clearTimeout(timer);
          waiters.delete(check);
          if (outcome === 'failed') reject(failed);
          else resolve(outcome);
          return true;
        };
        const timer = setTimeout(
          () => {
            waiters.delete(check);
            resolve('timeout');
          },
          Math.max(0, ms),
        );
        if (!check()) waiters.add(check);
      });
    },
    async close() {
      closed = true;
      await reader?.cancel().catch(() => {});
      abort.abort();
      await pump;
    },
  };
}

export interface SseResult {
  status: number;
  contentType: string;
  events: { event: string; data: unknown }[];
  /** The server closed the stream (a refusal ends it; a live subscription does not). */
  ended: boolean;
  elapsedMs: number;
}

const hasData = (frames: SseFrame[]) => frames.some((e) => e.event === 'next' && (e.data as { data?: unknown } | null)?.data);

/**
 * Opens a subscription through `api.fetch` and reads until the first `next` event carrying data,
 * the end of the stream, or `waitMs` — then hangs up. A refusal (a `next` with errors only) is read
 * on to the end, to see the server close it. `untilEnd` reads every event until the server closes
 * the stream; `onOpen` runs once it is open.
 */
export async function subscribeSse(
  api: Pick<TestApi, 'fetch'>,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
  waitMs = 2000,
  options: { untilEnd?: boolean; onOpen?: () => Promise<void> } = {},
): Promise<SseResult> {
  const started = Date.now();
  const stream = await openSse(api.fetch, 'http://weft.test/graphql', query, variables, token);
  const opened = options.onOpen?.();
  let outcome: Awaited<ReturnType<SseStream['waitFor']>>;
  try {
    outcome = await stream.waitFor(options.untilEnd ? () => false : hasData, started + waitMs - Date.now());
  } finally {
    await stream.close();
    await opened;
  }
  const events = stream.frames.map(({ event, data }) => ({ event, data }));
  return { status: stream.status, contentType: stream.contentType, events, ended: outcome === 'ended', elapsedMs: Date.now() - started };
}

/**
 * Reads a subscription through `api.fetch` (as the admin) until `until` `next` events (or until
 * `until(payloads)` holds), the end of the stream or `ms`; returns the payloads of its `next` events.
 */
export async function readSse(
  api: Pick<TestApi, 'fetch' | 'admin'>,
  query: string,
  variables: Record<string, unknown>,
  until: number | ((events: any[]) => boolean),
  ms = 5000,
) {
  const done = typeof until === 'number' ? (e: any[]) => e.length >= until : until;
  const payloads = (frames: SseFrame[]) => frames.filter((f) => f.event === 'next').map((f) => f.data as any);
  const stream = await openSse(api.fetch, 'http://weft.test/graphql', query, variables, api.admin);
  try {
    await stream.waitFor((frames) => done(payloads(frames)), ms);
  } finally {
    await stream.close();
  }
  return payloads(stream.frames);
}

/** An event of a subscription whose root field yields `{ type revision change { kind } }`. */
export interface TimedEvent {
  at: number;
  type: string;
  revision: number;
  kind?: string;
}

export interface SseSubscription {
  events: TimedEvent[];
  /** Resolves with the first event matching `test` (already received or future), or throws after `ms`. */
  next(test: (e: TimedEvent) => boolean, ms?: number): Promise<TimedEvent>;
  close(): Promise<void>;
}

type FeedPayload = { data?: Record<string, { type: string; revision: number; change?: { kind: string } | null } | null> };

/** Keeps `query` open against a server at `url` and records each event with the time it arrived. */
export async function watchSse(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<SseSubscription> {
  const stream = await openSse(fetch, `${url}/graphql`, query, variables, token);
  if (stream.status < 200 || stream.status > 299) {
    await stream.close();
    throw new Error(`SSE refused: HTTP ${stream.status}`);
  }
  const timed = (frames: SseFrame[]): TimedEvent[] =>
    frames.flatMap((f) => {
      const payload = f.data as FeedPayload | null;
      const event = f.event === 'next' && payload?.data && Object.values(payload.data)[0];
      return event ? [{ at: f.at, type: event.type, revision: event.revision, kind: event.change?.kind }] : [];
    });
  return {
    get events() {
      return timed(stream.frames);
    },
    async next(test, ms = 10_000) {
      const outcome = await stream.waitFor((frames) => timed(frames).some(test), ms);
      const events = timed(stream.frames);
      const found = events.find(test);
      if (outcome === 'matched' && found) return found;
      throw new Error(`no matching SSE event within ${ms} ms${outcome === 'ended' ? ' (the stream ended)' : ''}; got ${JSON.stringify(events.slice(-5))}`);
    },
    close: () => stream.close(),
  };
}
