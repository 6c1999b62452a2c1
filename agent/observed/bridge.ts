/**
 * Parser of `bridge -j fdb show` (fixture: test/fixtures/bridge-fdb-sandbox.json).
 *
 * Keeps every entry; the diff decides which ones are ours (on our VXLAN or veth ports, `self` with a
 * `dst`, or `master` + `static`). Kernel-made entries (`permanent` port addresses, 33:33:… multicast)
 * are never touched.
 */
import { z } from 'zod';
import type { ObservedFdb } from './types';

const entry = z.object({
  mac: z.string(),
  ifname: z.string(),
  flags: z.array(z.string()).optional(),
  dst: z.string().optional(),
  master: z.string().optional(),
  state: z.string().optional(),
});

/** Parses `bridge -j fdb show`. */
export function parseBridgeFdb(json: string): ObservedFdb[] {
  return z
    .array(entry)
    .parse(JSON.parse(json || '[]'))
    .map((e) => ({
      mac: e.mac.toLowerCase(),
      dev: e.ifname,
      self: (e.flags ?? []).includes('self'),
      dst: e.dst ?? null,
      master: e.master ?? null,
      state: e.state ?? null,
    }));
}
