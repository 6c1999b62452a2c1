/**
 * The live feed: `projectChanges` over graphql-sse (distinct connections, as Yoga serves it), with the
 * token in the Authorization header. The caller gets each event; the stream resumes from the last
 * revision seen after a network error, and an UNAUTHENTICATED end is reported as such.
 */
import { createClient } from 'graphql-sse';
import type { FeedEventResult } from './types.ts';
import { GRAPHQL_URL } from './client.ts';
import { PROJECT_CHANGES } from './queries.ts';

export interface LiveHandlers {
  onEvent(event: FeedEventResult): void;
  onError(message: string, code: string): void;
}

export function followProject(token: string, projectId: string, since: number, handlers: LiveHandlers): () => void {
  let last = since;
  let stopped = false;
  let unsubscribe = () => {};
  const client = createClient({ url: GRAPHQL_URL, headers: () => ({ authorization: `Bearer ${token}` }), retryAttempts: 0 });
  let retry: ReturnType<typeof setTimeout> | undefined;
  const start = () => {
    unsubscribe = client.subscribe<{ projectChanges: FeedEventResult }>(
      { query: PROJECT_CHANGES, variables: { id: projectId, since: last } },
      {
        next: (result) => {
          const error = result.errors?.[0] as { message: string; extensions?: { code?: string } } | undefined;
          if (error) return handlers.onError(error.message, error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
          const event = result.data?.projectChanges;
          if (!event) return;
          if (event.type !== 'RESYNC') last = Math.max(last, event.revision);
          handlers.onEvent(event);
        },
        error: (error) => {
          if (stopped) return;
          const message = error instanceof Error ? error.message : String(error);
          handlers.onError(`live updates interrupted: ${message}`, 'NETWORK');
          retry = setTimeout(start, 2000);
        },
        complete: () => {
          // The stream ends after RESYNC (the caller reads again and follows anew) or when the token lapses (an error came first).
        },
      },
    );
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(retry);
    unsubscribe();
    client.dispose();
  };
}
