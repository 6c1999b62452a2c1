/**
 * The host's upstream resolvers, from resolv.conf text.
 *
 * Owns: parsing `nameserver` lines (resolv.conf(5)). Pure apart from `readResolvConf`, which only
 * reads the file. Never returns a gateway of a private network: those are ours, and forwarding to
 * ourselves would loop.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

/** One upstream resolver. */
export interface Upstream {
  address: string;
  port: number;
}

/** The `nameserver` addresses of resolv.conf text, in order, each on port 53. */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const address = m[1].replace(/%.*$/, ''); // drop an IPv6 zone id
    if (isIP(address)) out.push({ address, port: 53 });
  }
  return out;
}

/**
 * Reads the upstreams of `path` (the host's /etc/resolv.conf by default), leaving out `exclude`
 * (the gateways we serve). Returns [] when the file is unreadable: the server then answers
 * SERVFAIL for outside names rather than failing to start.
 */
export async function readResolvConf(path = '/etc/resolv.conf', exclude: ReadonlySet<string> = new Set()): Promise<Upstream[]> {
  try {
    return parseResolvConf(await readFile(path, 'utf8')).filter((u) => !exclude.has(u.address));
  } catch {
    return [];
  }
}
