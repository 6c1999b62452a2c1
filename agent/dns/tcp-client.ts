/**
 * One DNS query over TCP to an upstream (RFC 7766): connect, send length-prefixed, read one reply.
 *
 * Owns: the client side of DNS-over-TCP for the forwarder. One connection per query keeps it
 * simple; fallbacks to TCP are rare (truncated answers, TCP clients).
 */
import net from 'node:net';
import type { Upstream } from './resolv-conf.ts';

/** Sends `query` to `upstream` over TCP; resolves with the reply or rejects on error/timeout. */
export function queryTcp(upstream: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: upstream.address, port: upstream.port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, reply?: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new Error(`tcp query to ${upstream.address}:${upstream.port} timed out`)), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(null, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    socket.on('end', () => done(new Error('upstream closed the connection')));
  });
}
