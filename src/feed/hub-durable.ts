/**
 * A FeedHub for Workers, where every request may run in a different isolate: wake-ups travel
 * through Durable Object hubs (src/feed/hub-durable-object.ts) instead of process memory.
 *
 * - notify(changes): after a commit, route the committed rows to hubs — `network:<pn>` for rows of a
 *   network (and project rows, via the project's one network), `host:<id>` for rows addressed to a
 *   host. A network hub forwards network-wide rows to the host hubs registered with it (fan-in), so
 *   a host stream holds one socket however many networks the host is in.
 * - wait(signal, scope): a stream holds one WebSocket to its hub (its host's, or its project's
 *   network's) for its whole life; each wait resolves on the next message, on the polling floor, or
 *   on abort. A host stream registers its host with the hubs of the networks it is a member of, again
 *   when its host joins a network and before the registration expires.
 *
 * Everything here is an accelerator: the stream reads the change table on every wake-up and on the
 * polling floor, so a lost message, an evicted hub or a failed registration costs latency, never a
 * change.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { containers, networks } from '../db/schema/index.ts';
import type { ChangeRecord } from './append.ts';
import type { FeedHub } from './hub.ts';
import { HUB_ORIGIN, type HubNamespace, type HubTopic, type HubWebSocket, hubStub } from './hub-durable-object.ts';
import type { FeedScope } from './read.ts';
import { audienceOf } from './route.ts';

export interface DurableFeedHubOptions {
  namespace: HubNamespace;
  /** The database (late-bound: the database's afterWrite calls this hub). */
  db: () => Database;
  pollMs: number;
  /** A stream sends a CURSOR only after this long without an event (stream.ts). */
  cursorQuietMs?: number;
  /** Keeps a notification alive after the response (a Worker's `waitUntil`). */
  defer: (work: Promise<unknown>) => void;
  /** How long a host's registration with a network hub lasts; renewed at half-life. */
  registrationTtlMs?: number;
  log?: (line: string) => void;
}

export interface DurableFeedHub extends FeedHub {
  /** Routes the wake-ups of committed rows to their hubs; resolves when every hub answered. */
  publish(changes: readonly ChangeRecord[]): Promise<void>;
}

interface Watcher {
  topic: HubTopic | null;
  socket: HubWebSocket | null;
  /** A message arrived while the stream was reading: the next wait returns at once. */
  pending: boolean;
  /** A host joined a network: register with the networks again. */
  membershipChanged: boolean;
  wake: (() => void) | null;
  registeredAt: number;
  registered: Set<string>;
  connectAfter: number;
}

/** Creates the Workers hub. One per isolate; a watcher per stream, keyed by the stream's signal. */
export function createDurableFeedHub(options: DurableFeedHubOptions): DurableFeedHub {
  const { namespace, pollMs, defer } = options;
  const ttlMs = options.registrationTtlMs ?? 10 * 60 * 1000;
  const log = options.log ?? ((line: string) => console.warn(line));
  const watchers = new WeakMap<AbortSignal, Watcher>();
  const networkOfProject = new Map<string, string>(); // a project's network never changes

  async function lookupNetwork(projectId: string): Promise<string | null> {
    const known = networkOfProject.get(projectId);
    if (known) return known;
    const [row] = await options.db().read.select({ id: networks.id }).from(networks).where(eq(networks.projectId, projectId));
    if (row) networkOfProject.set(projectId, row.id);
    return row?.id ?? null;
  }

  const post = (topic: HubTopic, path: string, body: unknown) =>
    hubStub(namespace, topic)
      .fetch(`${HUB_ORIGIN}${path}`, { method: 'POST', body: JSON.stringify(body) })
      .then(async (response) => {
        await response.body?.cancel();
        if (!response.ok) throw new Error(`feed hub ${path}: HTTP ${response.status}`);
      });

  async function publish(changes: readonly ChangeRecord[]): Promise<void> {
    if (!changes.length) return;
    const revision = Math.max(...changes.map((c) => c.revision));
    const nets = new Map<string, { forward: boolean }>();
    const hosts = new Map<string, { membership: boolean }>();
    for (const c of changes) {
      const audience = audienceOf(c);
      if (audience.hostId) {
        const entry = hosts.get(audience.hostId) ?? { membership: false };
        if (c.kind === 'network.joined') entry.membership = true;
        hosts.set(audience.hostId, entry);
      }
      let networkId = c.networkId ?? null;
      if (!networkId && c.projectId)
        networkId = (await lookupNetwork(c.projectId).catch(() => null)) ?? ('networkId' in c.payload ? c.payload.networkId : null);
      if (!networkId) continue;
      const entry = nets.get(networkId) ?? { forward: false };
      if (audience.membersOf) entry.forward = true; // a row every member host reads
      nets.set(networkId, entry);
    }
    const sends = [
      ...[...nets].map(([network, { forward }]) => post({ network }, '/notify', { revision, forward })),
      ...[...hosts].map(([host, { membership }]) => post({ host }, '/notify', membership ? { revision, membership } : { revision })),
    ];
    const failed = (await Promise.allSettled(sends)).filter((r) => r.status === 'rejected');
    if (failed.length)
      log(
        `feed hub: ${failed.length} of ${sends.length} notifications failed (streams fall back to polling): ${String((failed[0] as PromiseRejectedResult).reason)}`,
      );
  }

  async function topicOf(scope: FeedScope): Promise<HubTopic | null> {
    if ('hostId' in scope) return { host: scope.hostId };
    const network = await lookupNetwork(scope.projectId);
    return network ? { network } : null;
  }

  async function connect(watcher: Watcher): Promise<void> {
    if (!watcher.topic || watcher.socket || Date.now() < watcher.connectAfter) return;
    try {
      const response = await hubStub(namespace, watcher.topic).fetch(`${HUB_ORIGIN}/watch`, { headers: { upgrade: 'websocket' } });
      const socket = response.webSocket;
      if (!socket) throw new Error(`feed hub refused the socket: HTTP ${response.status}`);
      socket.accept?.();
      socket.addEventListener?.('message', (event) => {
        if (typeof event.data === 'string' && event.data.includes('"membership"')) watcher.membershipChanged = true;
        watcher.pending = true;
        watcher.wake?.();
      });
      const lost = () => {
        if (watcher.socket === socket) watcher.socket = null;
        watcher.pending = true; // read once more: something may have committed while reconnecting
        watcher.wake?.();
      };
      socket.addEventListener?.('close', lost);
      socket.addEventListener?.('error', lost);
      watcher.socket = socket;
      watcher.pending = true; // a commit between the stream's last read and this socket woke nobody
    } catch (error) {
      watcher.connectAfter = Date.now() + pollMs;
      log(`feed hub: cannot watch ${JSON.stringify(watcher.topic)} (polling meanwhile): ${(error as Error).message}`);
    }
  }

  /** Registers a host with the hubs of its networks: all of them at half-life, new ones after a join. */
  async function register(watcher: Watcher, hostId: string): Promise<void> {
    const renew = Date.now() - watcher.registeredAt > ttlMs / 2;
    if (!renew && !watcher.membershipChanged) return;
    watcher.membershipChanged = false;
    try {
      const rows = await options.db().read.selectDistinct({ networkId: containers.networkId }).from(containers).where(eq(containers.hostId, hostId));
      const wanted = rows.map((r) => r.networkId).filter((n) => renew || !watcher.registered.has(n));
      for (let i = 0; i < wanted.length; i += 6) {
        await Promise.all(wanted.slice(i, i + 6).map((network) => post({ network }, '/register', { hostId, ttlMs })));
      }
      if (wanted.some((n) => !watcher.registered.has(n))) watcher.pending = true; // as for a new socket
      watcher.registered = new Set(rows.map((r) => r.networkId));
      if (renew) watcher.registeredAt = Date.now();
    } catch (error) {
      watcher.membershipChanged = true; // try again on the next wait
      log(`feed hub: registering host ${hostId} failed (polling meanwhile): ${(error as Error).message}`);
    }
  }

  function release(signal: AbortSignal): void {
    const watcher = watchers.get(signal);
    watchers.delete(signal);
    try {
      watcher?.socket?.close(1000, 'stream ended');
    } catch {
      // already closed
    }
  }

  const sleep = (signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });

  return {
    pollMs,
    cursorQuietMs: options.cursorQuietMs,
    publish,
    notify(changes) {
      if (changes?.length) defer(publish(changes));
    },
    async wait(signal, scope) {
      if (!signal || !scope) return sleep(signal);
      if (signal.aborted) return release(signal);
      let watcher = watchers.get(signal);
      if (!watcher) {
        watcher = {
          topic: await topicOf(scope).catch(() => null),
          socket: null,
          pending: false,
          membershipChanged: false,
          wake: null,
          registeredAt: 0,
          registered: new Set(),
          connectAfter: 0,
        };
        watchers.set(signal, watcher);
        signal.addEventListener('abort', () => release(signal), { once: true });
      }
      await connect(watcher);
      if ('hostId' in scope) await register(watcher, scope.hostId);
      if (watcher.pending) {
        watcher.pending = false;
        return;
      }
      const current = watcher;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          signal!.removeEventListener('abort', done);
          current.wake = null;
          current.pending = false;
          resolve();
        }
        current.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    },
  };
}
