/**
 * DNS over TCP on a listening socket of one network (RFC 7766).
 *
 * Owns: connection accounting (a cap per network, so one network cannot exhaust the agent's file
 * descriptors), idle timeouts, 2-byte length framing and pipelining — queries on one connection are
 * answered as they complete, possibly out of order, as RFC 7766 §6.2.1.1 allows. It never decides
 * an answer: `handle` does.
 */
import type net from 'node:net';

export interface TcpLimits {
  maxConnections: number; // per network
  idleMs: number;
  maxInFlight: number; // per connection; further queries wait for the socket to drain
}

export const DEFAULT_TCP_LIMITS: TcpLimits = { maxConnections: 64, idleMs: 10_000, maxInFlight: 16 };

/**
 * Serves `server`'s connections with `handle` (query bytes → reply bytes or null for no reply).
 * `onConnection(accepted)` lets the caller count accepted and rejected connections.
 */
export function serveTcp(
  server: net.Server,
  limits: TcpLimits,
  handle: (query: Buffer) => Buffer | null | Promise<Buffer | null>,
  onConnection: (accepted: boolean) => void,
): { close(): void } {
  const open = new Set<net.Socket>();
  server.on('connection', (socket) => {
    if (open.size >= limits.maxConnections) {
      onConnection(false);
      socket.destroy();
      return;
    }
    onConnection(true);
    open.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleMs, () => socket.destroy());
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    let inFlight = 0;
    const pump = (): void => {
      while (buf.length >= 2 && inFlight < limits.maxInFlight) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const query = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        inFlight++;
        Promise.resolve()
          .then(() => handle(query))
          .then((reply) => {
            if (reply && !socket.destroyed) {
              const frame = Buffer.allocUnsafe(2 + reply.length);
              frame.writeUInt16BE(reply.length, 0);
              reply.copy(frame, 2);
              socket.write(frame);
            }
          }, () => undefined)
          .finally(() => { inFlight--; pump(); });
      }
      // Back-pressure: stop reading while the connection has its quota of queries in flight.
      if (inFlight >= limits.maxInFlight) socket.pause();
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
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}
