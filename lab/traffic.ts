/**
 * Traffic probes for the root-only suites: ping, TCP and UDP between container namespaces, with
 * OpenBSD netcat as the lab used. Every address is inside namespaces the test created.
 */
import { spawn } from 'node:child_process';
import { inNs, sleep } from '../test/support/netns-lab.ts';

/** True when `count` pings from `ns` to `ip` all come back. */
export function pingOk(ns: string, ip: string, opts: { count?: number; size?: number; df?: boolean } = {}): boolean {
  const args = ['ping', '-c', String(opts.count ?? 2), '-i', '0.2', '-W', '2'];
  if (opts.size !== undefined) args.push('-s', String(opts.size));
  if (opts.df) args.push('-M', 'do');
  try {
    return / 0% packet loss/.test(inNs(ns, [...args, ip]));
  } catch {
    return false;
  }
}

/** Sends `payload` over TCP or UDP from `from` to `ip:port` where `to` listens; returns what arrived. */
export async function sendOnce(proto: 'tcp' | 'udp', to: string, from: string, ip: string, port: number, payload: string): Promise<string> {
  const u = proto === 'udp' ? ['-u'] : [];
  const listener = spawn('ip', ['netns', 'exec', to, 'timeout', '4', 'nc', ...u, '-l', ip, String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  let got = '';
  listener.stdout.on('data', (d) => (got += d));
  const done = new Promise((r) => listener.once('exit', r));
  await sleep(300);
  try {
    inNs(from, ['nc', ...u, ...(proto === 'tcp' ? ['-N'] : []), '-w', '1', ip, String(port)], payload + '\n');
  } catch {
    /* a refused or filtered connection: nothing arrives, which the caller asserts */
  }
  await done;
  return got.trim();
}
