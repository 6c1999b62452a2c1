/**
 * Replies without a tick per datagram: a synchronous destination lookup for a server's UDP socket.
 *
 * Owns: one change to a dgram socket. `socket.send(buf, port, address)` resolves `address` through
 * the socket's lookup even when it is an IP literal, and the default (dns.lookup) answers an IP on
 * the next tick after an isIP regex: every reply cost a tick-queue round, measured at ~10% of the
 * server's CPU per query (docs/dns.md, Throughput). A reply goes to the address its query came
 * from, always an IP literal, so the lookup can answer at once and the send happens inside the call.
 *
 * Node's public `lookup` option exists only for sockets it creates; ours mostly arrive over IPC
 * (bind helper, upgrade), where no option can be passed. So this sets the same field on the socket's
 * internal state, and changes nothing unless that state has exactly the expected shape; a Node
 * whose internals differ just keeps the default (sync-lookup.test.ts says which one we run).
 * Never used for sockets that send to names (the forwarder's).
 */
import type dgram from 'node:dgram';

type Lookup = (address: string, callback: (err: Error | null, address?: string) => void) => void;

/** Makes `socket`'s sends to IP literals skip the asynchronous lookup; true when it could. */
export function useSyncLookup(socket: dgram.Socket): boolean {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = key ? (socket as unknown as Record<symbol, { handle?: { lookup?: Lookup } }>)[key] : undefined;
  const handle = state?.handle;
  const original = handle?.lookup;
  if (!handle || typeof original !== 'function' || original.length > 2) return false;
  handle.lookup = (address, callback) => {
    if (typeof address === 'string' && address !== '') callback(null, address);
    else original.call(handle, address, callback);
  };
  return true;
}
