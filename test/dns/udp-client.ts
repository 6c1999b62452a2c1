// A minimal UDP DNS client for tests that count every failed lookup (dig is too slow for loops).
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface LookupResult {
  ok: boolean;
  tries: number;
  addresses: string[];
  rcode?: string;
}

/** Asks `name` A from server:port, retrying after `timeoutMs` up to `tries` times. */
export async function lookupA(server: string, port: number, name: string, tries = 3, timeoutMs = 300): Promise<LookupResult> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => undefined);
  try {
    for (let t = 1; t <= tries; t++) {
      const id = Math.floor(Math.random() * 0xffff);
      const reply = await new Promise<dnsPacket.DecodedPacket | null>((resolve) => {
        const timer = setTimeout(() => {
          socket.removeAllListeners('message');
          resolve(null);
        }, timeoutMs);
        socket.on('message', (msg) => {
          try {
            const p = dnsPacket.decode(msg);
            if (p.id !== id) return;
            clearTimeout(timer);
            socket.removeAllListeners('message');
            resolve(p);
          } catch {
            /* ignore */
          }
        });
        socket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] }), port, server);
      });
      if (reply) {
        const addresses = (reply.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data: unknown }).data));
        return { ok: addresses.length > 0, tries: t, addresses, rcode: (reply as unknown as { rcode: string }).rcode };
      }
    }
    return { ok: false, tries, addresses: [] };
  } finally {
    socket.close();
  }
}

/** Looks `name` up in a loop until `stop()` is called; returns counts of successes, failures, retries. */
export function lookupLoop(server: string, port: number, name: string, expect: string) {
  const stats = { ok: 0, failed: 0, retried: 0, failures: [] as string[], retriedAtMs: [] as number[] };
  const t0 = performance.now();
  let running = true;
  const done = (async () => {
    while (running) {
      const r = await lookupA(server, port, name);
      if (r.ok && r.addresses.includes(expect)) stats.ok++;
      else {
        stats.failed++;
        stats.failures.push(JSON.stringify(r));
      }
      if (r.tries > 1) {
        stats.retried++;
        stats.retriedAtMs.push(Math.round(performance.now() - t0));
      }
    }
  })();
  return {
    stats,
    stop: async () => {
      running = false;
      await done;
      return stats;
    },
  };
}
