/**
 * Forwarding of names outside `private-network.internal.` to the host's upstream resolvers.
 *
 * Owns: the host-namespace sockets that talk to upstreams, ID remapping, per-attempt timeouts,
 * failover between upstreams, TCP fallback when an upstream truncates, and a per-network token
 * bucket so one network cannot use the host's resolvers to flood anyone. It relays bytes and never
 * interprets answers beyond the header and question, and it never sends to anything but the
 * configured upstreams.
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Upstream } from './resolv-conf.ts';
import { queryTcp } from './tcp-client.ts';
import { HEADER_BYTES, readQuestion } from './wire.ts';

export interface ForwarderOptions {
  upstreams: Upstream[];
  attemptTimeoutMs: number; // per upstream try
  ratePerSecond: number; // per network, sustained
  burst: number; // per network
  sourcePorts: number; // UDP sockets per address family; each query picks one at random
}

export const DEFAULT_FORWARDER: Omit<ForwarderOptions, 'upstreams'> = { attemptTimeoutMs: 1500, ratePerSecond: 500, burst: 1000, sourcePorts: 16 };

/** Why a forward produced the bytes it did. */
export type ForwardResult = { bytes: Buffer; outcome: 'answered' | 'failed' | 'limited' };

interface Pending {
  resolve: (msg: Buffer | null) => void;
  upstream: Upstream;
  question: Buffer;
  socket: dgram.Socket;
  timer: NodeJS.Timeout;
}

/** Relays outside names for every network of the host; one instance per server. */
export class Forwarder {
  // Per address family, a pool of sockets on ephemeral ports: an off-path spoofer must guess the
  // port as well as the 16-bit ID (RFC 5452).
  private sockets = new Map<string, dgram.Socket[]>();
  private pending = new Map<number, Pending>();
  private buckets = new Map<string, { tokens: number; at: number }>();

  private readonly opts: ForwarderOptions;

  constructor(opts: Omit<ForwarderOptions, 'sourcePorts'> & { sourcePorts?: number }) {
    this.opts = { sourcePorts: DEFAULT_FORWARDER.sourcePorts, ...opts };
  }

  /** Replaces the upstream list (e.g. after resolv.conf changed). In-flight queries finish. */
  setUpstreams(upstreams: Upstream[]): void {
    this.opts.upstreams = upstreams;
  }

  /**
   * Relays `query` for `networkId` and returns the reply with the client's ID restored. `limit` is
   * the size the client accepts (512/EDNS for UDP, 65535 for TCP). Never rejects: failures become
   * SERVFAIL, rate-limited queries REFUSED.
   */
  async forward(networkId: string, query: Buffer, limit: number): Promise<ForwardResult> {
    const q = readQuestion(query);
    if (!q || query.length < HEADER_BYTES) return { bytes: errorReply(query, 1), outcome: 'failed' };
    if (!this.take(networkId)) return { bytes: errorReply(query, 5), outcome: 'limited' };
    const question = query.subarray(HEADER_BYTES, q.end);
    for (const upstream of this.opts.upstreams) {
      try {
        const overTcp = limit > 65534;
        let reply = overTcp ? null : await this.viaUdp(query, question, upstream);
        if (overTcp || (reply && reply[2] & 0x02)) {
          // TCP when the client asked over TCP, or the upstream truncated (RFC 7766 §5); a full
          // answer too big for the client's UDP size leaves the truncated one, and the client
          // retries over TCP itself.
          const full = await queryTcp(upstream, query, this.opts.attemptTimeoutMs).catch(() => null);
          if (full && (full.length <= limit || !reply)) reply = full;
        }
        if (reply) {
          const out = Buffer.from(reply);
          out.writeUInt16BE(query.readUInt16BE(0), 0);
          return { bytes: out, outcome: 'answered' };
        }
      } catch {
        // next upstream
      }
    }
    return { bytes: errorReply(query, 2), outcome: 'failed' };
  }

  /** Stops listening for upstream replies; pending queries resolve as failed. */
  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
    this.pending.clear();
    for (const pool of this.sockets.values()) pool.forEach((s) => s.close()); // forEach skips unused slots
    this.sockets.clear();
  }

  private viaUdp(query: Buffer, question: Buffer, upstream: Upstream): Promise<Buffer | null> {
    const socket = this.socketFor(upstream);
    let id = randomInt(0x10000);
    for (let i = 0; this.pending.has(id) && i < 16; i++) id = randomInt(0x10000);
    if (this.pending.has(id)) return Promise.resolve(null); // 65k in flight: shed load
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, this.opts.attemptTimeoutMs);
      this.pending.set(id, { resolve, upstream, question, socket, timer });
      socket.send(out, upstream.port, upstream.address, (err) => {
        if (err) {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve(null);
        }
      });
    });
  }

  private socketFor(upstream: Upstream): dgram.Socket {
    const family = isIPv6(upstream.address) ? 'udp6' : 'udp4';
    let pool = this.sockets.get(family);
    if (!pool) this.sockets.set(family, (pool = []));
    const i = randomInt(Math.max(1, this.opts.sourcePorts));
    if (pool[i]) return pool[i];
    const s = dgram.createSocket(family);
    s.on('message', (msg, rinfo) => this.onReply(s, msg, rinfo));
    s.on('error', () => undefined); // ICMP errors surface here; the attempt times out instead
    pool[i] = s;
    return s;
  }

  private onReply(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < HEADER_BYTES) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    if (!p) return;
    // Accept only the upstream we asked, on the port we asked from, echoing our question:
    // anything else is spoofed or stale.
    if (socket !== p.socket || rinfo.address !== p.upstream.address || rinfo.port !== p.upstream.port) return;
    const q = readQuestion(msg);
    if (!q || !msg.subarray(HEADER_BYTES, q.end).equals(p.question)) return;
    clearTimeout(p.timer);
    this.pending.delete(msg.readUInt16BE(0));
    p.resolve(msg);
  }

  private take(networkId: string): boolean {
    const now = performance.now();
    const b = this.buckets.get(networkId) ?? { tokens: this.opts.burst, at: now };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.ratePerSecond);
    b.at = now;
    this.buckets.set(networkId, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/** A reply to `query` with only its header and question, and `rcode`. */
export function errorReply(query: Buffer, rcode: number): Buffer {
  const q = query.length >= HEADER_BYTES ? readQuestion(query) : null;
  const out = Buffer.alloc(q ? q.end : HEADER_BYTES);
  query.copy(out, 0, 0, Math.min(out.length, query.length));
  out[2] = 0x80 | (out[2] & 0x79); // QR, opcode, RD
  out[3] = 0x80 | rcode; // RA
  out.writeUInt16BE(q ? 1 : 0, 4);
  out.fill(0, 6, HEADER_BYTES);
  return out;
}
