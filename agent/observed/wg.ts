/**
 * Parser of `wg show <if> dump` (fixture: test/fixtures/wg-dump.json).
 *
 * The dump is tab-separated. Line 1 is the interface: private key, public key, listen port, fwmark.
 * The private key is dropped here, at the edge, so no later log or error can carry it.
 * Peer lines: public key, preshared key, endpoint, allowed-ips, handshake, rx, tx, keepalive.
 */
import { z } from 'zod';
import type { ObservedWg } from './types';

const key = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'WireGuard key');
const port = z.coerce.number().int().min(0).max(65535);

/** Parses a `wg show <if> dump`; never returns or throws with the private key in it. */
export function parseWgDump(text: string): ObservedWg {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('wg dump: empty output');
  const [, pub, listen] = lines[0].split('\t'); // field 0 (private key) deliberately unnamed
  // A device without a private key reports `(none)`: it is observed as "no key", not as an error.
  const iface = { publicKey: pub === '(none)' ? '' : key.parse(pub), listenPort: port.parse(listen) };
  const peers = lines.slice(1).map((line, i) => {
    const f = line.split('\t');
    if (f.length < 8) throw new Error(`wg dump: peer line ${i + 2} has ${f.length} fields, want 8`);
    return {
      publicKey: key.parse(f[0]),
      endpoint: f[2] === '(none)' ? null : f[2],
      allowedIps: f[3] === '(none)' ? [] : f[3].split(',').sort(),
      keepalive: f[7] === 'off' ? 0 : port.parse(f[7]),
    };
  });
  return { ...iface, peers };
}
