/**
 * Free loopback ports for tests and benchmarks that start servers on a port chosen in advance (a
 * child process, a server restarted on the same port, a DNS daemon told where to listen).
 * A port is free when we bound it and let it go: another process can still take it in between.
 */
import dgram from 'node:dgram';
import { createServer } from 'node:net';

/** Binds a TCP listener on `port` (0: any) of 127.0.0.1; resolves with the port, or null when taken. */
function bindTcp(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => {
      const bound = (s.address() as { port: number }).port;
      s.close(() => resolve(bound));
    });
  });
}

/**
 * A port free on loopback right now: for TCP (the default), or for UDP and TCP both (a DNS server
 * listens on both; other suites run in parallel, so a UDP port is retried until TCP has it free too).
 */
export async function freePort(protocols: 'tcp' | 'udp+tcp' = 'tcp'): Promise<number> {
  if (protocols === 'tcp') {
    const port = await bindTcp(0);
    if (port === null) throw new Error('no free TCP port on 127.0.0.1');
    return port;
  }
  for (;;) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    const tcp = await bindTcp(port); // while UDP still holds it, so the pair is checked at one moment
    s.close();
    if (tcp !== null) return port;
  }
}
