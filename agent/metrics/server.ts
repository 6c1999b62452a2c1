/**
 * The agent's metrics listener: `GET /metrics` in the Prometheus text format on `--metrics-address`
 * (`127.0.0.1:9465`, `[::1]:9465`, or `:9465` for every address). Off unless the flag is given;
 * docs/operations.md says why loopback is the advice. Owns: one HTTP server. Never: anything else
 * on that port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** `host:port`, `[v6]:port` or `:port` → listen arguments; throws a readable error otherwise. */
export function parseListenAddress(text: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new Error(`invalid metrics address ${JSON.stringify(text)}: expected host:port, [ipv6]:port or :port`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

/** Serves the registry; resolves once listening, with the URL to scrape. */
export async function startMetricsListener(registry: Registry, address: string): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const { host, port } = parseListenAddress(address);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const bound = server.address() as AddressInfo;
  const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    server,
    url: `http://${shown}:${bound.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
