/**
 * Per-network DNS counters.
 *
 * Owns: plain monotonic counters the agent reports or exports (queries, answers by rcode, forwards,
 * fast-path hits, TCP connections). Counters only: no timers, no I/O, cheap enough to bump on the
 * fast path.
 */

/** Counters of one network since the server started. */
export interface NetworkMetrics {
  queries: number;
  fastPath: number;
  forwarded: number;
  forwardFailed: number; // no upstream answered: the client got SERVFAIL
  rateLimited: number; // forwarding refused by the per-network rate limit
  dropped: number; // not answered at all (responses, runts)
  truncated: number;
  tcpConnections: number;
  tcpRejected: number; // over the per-network connection cap
  rcodes: Record<string, number>;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** Fresh counters, all zero. */
export function emptyMetrics(): NetworkMetrics {
  return { queries: 0, fastPath: 0, forwarded: 0, forwardFailed: 0, rateLimited: 0, dropped: 0, truncated: 0, tcpConnections: 0, tcpRejected: 0, rcodes: {} };
}

/** Counts one answer by its (possibly extended) rcode, named when it has a common name. */
export function countRcode(m: NetworkMetrics, rcode: number): void {
  const name = rcode === 16 ? 'BADVERS' : (RCODE_NAMES[rcode] ?? `RCODE${rcode}`);
  m.rcodes[name] = (m.rcodes[name] ?? 0) + 1;
}
