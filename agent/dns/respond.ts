/**
 * From query bytes to reply bytes for one network: the fast path first, then the full codec.
 *
 * Owns: the choice between a prebuilt reply (fast-path.ts) and decode → answer() → encode
 * (slow-path.ts). Never throws on any input: this runs on every datagram a container can send.
 * Never touches sockets — the server sends what it returns.
 */
import type { Zone } from '../../protocol/dns/zone.ts';
import { lookupFast, type FastTable } from './fast-path.ts';
import { type Outcome, respondSlow, type Transport } from './slow-path.ts';

/** Answers `msg` for the network whose zone (and fast table) are given. */
export function respond(msg: Buffer, zone: Zone | undefined, fast: FastTable | undefined, transport: Transport): Outcome {
  if (fast) {
    const hit = lookupFast(msg, fast, transport, zone);
    if (hit) return hit;
  }
  return respondSlow(msg, zone, transport);
}
