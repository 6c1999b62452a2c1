/**
 * DNS over TCP on a listening socket of one network (RFC 7766).
 *
 * Owns: connection accounting (a cap per network, so one network cannot exhaust the agent's file
 * descriptors, and a cap per client address within it), idle timeouts, 2-byte length framing and
 * pipelining — queries on one connection are answered as they complete, possibly out of order, as
 * RFC 7766 §6.2.1.1 allows. It never decides an answer: `handle` does.
 *
 * Why full caps evict instead of refusing (issue 13): refusing at the cap let 64 idle connections
 * lock every other client of the network out of TCP DNS until the idle timeout. A connection that
 * has answered every query it received is idle in RFC 7766's sense (§3); the server may close an
 * idle connection by its own policy or under pressure, and clients retry what a close left
 * unanswered (§6.2.3–6.2.4). So at a cap we close the least recently active idle connection and
 * admit the newcomer; it is refused only when every candidate has a query in flight. Connections
 * with queries in flight are never evicted, so pipelining and pending answers are unaffected. The
 * per-client cap (RFC 7766 §10 suggests one per source address) keeps one container from holding
 * the whole budget: a client over it loses its own least recently active idle connection, never
 * anybody else's, and is refused when all of its connections are busy.
 */
import type net from 'node:net';

export interface TcpLimits {
  maxConnections: number; // per network
  maxPerClient: number; // per source address, within a network's cap
  idleMs: number;
  maxInFlight: number; // per connection; further queries wait for the socket to drain
}

export const DEFAULT_TCP_LIMITS: TcpLimits = { maxConnections: 64, maxPerClient: 16, idleMs: 10_000, maxInFlight: 16 };

interface Connection {
  socket: net.Socket;
  client: string;
  inFlight: number; // queries read and not yet answered: 0 means idle (RFC 7766 §3)
  lastActive: number; // tick of the last accept, query or reply: eviction order
}

/**
 * Serves `server`'s connections with `handle` (query bytes → reply bytes or null for no reply).
 * `onConnection(accepted)` lets the caller count accepted and rejected connections; a connection
 * evicted to make room was accepted earlier and is not counted again.
 */
export function serveTcp(
  server: net.Server,
  limits: TcpLimits,
  handle: (query: Buffer) => Buffer | null | Promise<Buffer | null>,
  onConnection: (accepted: boolean) => void,
): { close(): void } {
  const open = new Set<Connection>();
  const byClient = new Map<string, Set<Connection>>();
  let tick = 0; // a counter, not a clock: no ties between connections touched in the same ms

  const forget = (c: Connection): void => {
    open.delete(c);
    const own = byClient.get(c.client);
    own?.delete(c);
    if (own?.size === 0) byClient.delete(c.client);
  };
  // Closes the least recently active idle connection of `pool`; false when every one is busy.
  const evictIdle = (pool: Iterable<Connection>): boolean => {
    let victim: Connection | undefined;
    for (const c of pool) if (c.inFlight === 0 && (!victim || c.lastActive < victim.lastActive)) victim = c;
    if (!victim) return false;
    forget(victim);
    victim.socket.destroy();
    return true;
  };
  // Makes room for one more connection of `client`. The client's own cap comes first, so a client
  // at it only ever displaces itself; evicting one of its own keeps the network total unchanged.
  const makeRoom = (client: string): boolean => {
    const own = byClient.get(client);
    if (own && own.size >= limits.maxPerClient) return evictIdle(own);
    if (open.size >= limits.maxConnections) return evictIdle(open);
    return true;
  };

  server.on('connection', (socket) => {
    // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; count them as a.b.c.d.
    const client = (socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
    if (!makeRoom(client)) {
      onConnection(false);
      socket.destroy();
      return;
    }
    onConnection(true);
    const conn: Connection = { socket, client, inFlight: 0, lastActive: ++tick };
    open.add(conn);
    let own = byClient.get(client);
    if (!own) byClient.set(client, (own = new Set()));
    own.add(conn);
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleMs, () => socket.destroy());
    socket.on('close', () => forget(conn));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    const pump = (): void => {
      while (buf.length >= 2 && conn.inFlight < limits.maxInFlight) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const query = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        conn.inFlight++;
        conn.lastActive = ++tick;
        Promise.resolve()
          .then(() => handle(query))
          .then(
            (reply) => {
              if (reply && !socket.destroyed) {
                const frame = Buffer.allocUnsafe(2 + reply.length);
                frame.writeUInt16BE(reply.length, 0);
                reply.copy(frame, 2);
                socket.write(frame);
              }
            },
            () => undefined,
          )
          .finally(() => {
            conn.inFlight--;
            conn.lastActive = ++tick;
            pump();
          });
      }
      // Back-pressure: stop reading while the connection has its quota of queries in flight.
      if (conn.inFlight >= limits.maxInFlight) socket.pause();
      else socket.resume();
    };
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      pump();
    });
  });
  server.on('error', () => undefined);
  return {
    close() {
      for (const c of open) c.socket.destroy();
      open.clear();
      byClient.clear();
    },
  };
}
