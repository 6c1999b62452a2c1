/**
 * The feed hub as a Durable Object (Workers only; runtime-neutral code, no `node:*`). One instance
 * per topic, named by `topicName()`:
 *
 *   network:<pn-id>  the hub of one private network — wakes project streams of the network's
 *                    project, and forwards network-wide wake-ups to the host hubs registered with it;
 *   host:<host-id>   the hub of one host — wakes that host's agent streams (rows addressed to the
 *                    host, and network-wide rows forwarded by the networks it is a member of).
 *
 * Streams hold one WebSocket to one hub (hibernation API: the object may sleep while sockets stay
 * open). A wake-up is `{"revision":n,"membership"?:true}` and carries no change data: the stream reads the change table again.
 * So the object keeps no log; it keeps only the host registrations (in storage, with an expiry,
 * because an idle object is evicted). Losing any of this only delays a stream to its polling floor.
 *
 * Routes (internal; the Worker never exposes them):
 *   GET  /watch     WebSocket upgrade
 *   POST /notify    {"revision":n,"forward"?:bool,"membership"?:bool}
 *                   wake sockets; `forward` also wakes registered hosts; `membership`: a host joined
 *                   a network, so its streams register with their networks again
 *   POST /register  {"hostId":"…","ttlMs":n}       (network hubs) a host streams and is a member
 */

/** The subset of the Workers runtime this object uses (typed here so src/ typechecks without workers-types). */
export interface HubWebSocket {
  accept?(): void;
  send(message: string): void;
  close(code?: number, reason?: string): void;
  addEventListener?(type: 'message' | 'close' | 'error', listener: (event: { data?: unknown }) => void): void;
}
export interface HubState {
  acceptWebSocket(ws: HubWebSocket, tags?: string[]): void;
  getWebSockets(tag?: string): HubWebSocket[];
  storage: {
    get<T>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown): Promise<void>;
    delete(key: string | string[]): Promise<unknown>;
    list<T>(options: { prefix: string }): Promise<Map<string, T>>;
  };
}
export interface HubStub {
  fetch(input: string, init?: RequestInit): Promise<Response & { webSocket?: HubWebSocket | null }>;
}
export interface HubNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): HubStub;
}
export interface HubEnv {
  FEED_HUB: HubNamespace;
}

export type HubTopic = { network: string } | { host: string };

export const topicName = (topic: HubTopic): string => ('network' in topic ? `network:${topic.network}` : `host:${topic.host}`);

/** The stub of a topic's hub. */
export const hubStub = (namespace: HubNamespace, topic: HubTopic): HubStub => namespace.get(namespace.idFromName(topicName(topic)));

/** Internal URLs: the host part is ignored by a Durable Object stub. */
export const HUB_ORIGIN = 'https://feed-hub.internal';

const HOST_PREFIX = 'host:';
const MAX_TTL_MS = 60 * 60 * 1000;

type Pair = { 0: HubWebSocket; 1: HubWebSocket };
declare const WebSocketPair: { new (): Pair };

export class FeedHubObject {
  /** hostId → registration expiry (ms); loaded from storage on first use. */
  private hosts: Map<string, number> | undefined;

  constructor(
    private readonly state: HubState,
    private readonly env: HubEnv,
  ) {}

  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/watch' && request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      const pair = new WebSocketPair();
      this.state.acceptWebSocket(pair[1]);
      return new Response(null, { status: 101, webSocket: pair[0] } as ResponseInit);
    }
    if (request.method === 'POST' && pathname === '/notify') {
      const body = (await request.json()) as { revision?: number; forward?: boolean; membership?: boolean };
      const woken = this.wake(Number(body.revision ?? 0), body.membership === true);
      const forwarded = body.forward ? await this.forward(Number(body.revision ?? 0)) : 0;
      return Response.json({ woken, forwarded });
    }
    if (request.method === 'POST' && pathname === '/register') {
      const body = (await request.json()) as { hostId?: unknown; ttlMs?: unknown };
      if (typeof body.hostId !== 'string' || !body.hostId) return new Response('hostId required', { status: 400 });
      const ttl = Math.min(Math.max(Number(body.ttlMs) || 0, 1000), MAX_TTL_MS);
      const hosts = await this.registrations();
      const expires = Date.now() + ttl;
      hosts.set(body.hostId, expires);
      await this.state.storage.put(HOST_PREFIX + body.hostId, expires);
      return Response.json({ registered: hosts.size });
    }
    return new Response('not found', { status: 404 });
  }

  /** Sends a wake-up to every stream socket of this hub; returns how many were sent. */
  private wake(revision: number, membership: boolean): number {
    let woken = 0;
    const message = JSON.stringify(membership ? { revision, membership } : { revision });
    for (const ws of this.state.getWebSockets()) {
      try {
        ws.send(message);
        woken++;
      } catch {
        // closing socket: its stream is going away
      }
    }
    return woken;
  }

  /** Wakes the hubs of registered hosts whose registration has not expired; drops expired ones. */
  private async forward(revision: number): Promise<number> {
    const hosts = await this.registrations();
    const now = Date.now();
    const live: string[] = [];
    const expired: string[] = [];
    for (const [hostId, expires] of hosts) (expires > now ? live : expired).push(hostId);
    if (expired.length) {
      for (const hostId of expired) hosts.delete(hostId);
      await this.state.storage.delete(expired.map((h) => HOST_PREFIX + h));
    }
    const body = JSON.stringify({ revision, forward: false });
    const results = await Promise.allSettled(
      live.map((host) =>
        hubStub(this.env.FEED_HUB, { host })
          .fetch(`${HUB_ORIGIN}/notify`, { method: 'POST', body })
          .then((r) => r.body?.cancel()),
      ),
    );
    return results.filter((r) => r.status === 'fulfilled').length;
  }

  private async registrations(): Promise<Map<string, number>> {
    if (!this.hosts) {
      const stored = await this.state.storage.list<number>({ prefix: HOST_PREFIX });
      this.hosts = new Map([...stored].map(([key, expires]) => [key.slice(HOST_PREFIX.length), expires]));
    }
    return this.hosts;
  }

  // Hibernation API handlers. Streams send nothing; a close is answered so the socket completes.
  webSocketMessage(): void {}

  webSocketClose(ws: HubWebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  webSocketError(): void {}
}
