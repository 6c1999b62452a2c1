/**
 * A minimal GraphQL-over-SSE reader for the Worker tests: it keeps a subscription open and records
 * each event with the time it arrived, so tests can wait for a revision and measure latency.
 */
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

/** Opens `query` (a subscription whose root field yields `{ type revision change { kind } }`). */
export async function openSse(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<SseSubscription> {
  const abort = new AbortController();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  if (!response.ok || !response.body) throw new Error(`SSE refused: HTTP ${response.status}`);
  const events: TimedEvent[] = [];
  const waiters = new Set<() => void>();
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
    let buffer = '';
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!/^event: ?next$/m.test(frame)) continue;
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        const payload = JSON.parse(data) as { data?: Record<string, { type: string; revision: number; change?: { kind: string } | null }> };
        const event = payload.data && Object.values(payload.data)[0];
        if (!event) continue;
        events.push({ at: performance.now(), type: event.type, revision: event.revision, kind: event.change?.kind });
        for (const wake of [...waiters]) wake();
      }
    }
  })();
  return {
    events,
    next(test, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(test);
          if (!found) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching SSE event within ${ms} ms; got ${JSON.stringify(events.slice(-5))}`));
        }, ms);
        if (!check()) waiters.add(check);
      });
    },
    async close() {
      abort.abort();
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
}
