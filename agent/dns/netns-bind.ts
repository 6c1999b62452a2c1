/**
 * Obtains a network's DNS sockets from inside its sandbox namespace (DESIGN §5, DNS path).
 *
 * Owns: starting bind-helper.ts with `ip netns exec`, receiving its UDP and TCP handles over IPC, and
 * (for tests) binding the same pair in our own namespace, and
 * making sure the helper is gone afterwards (killed by its own PID on timeout). It never enters a
 * namespace itself and never touches a namespace's configuration: the reconciler creates the
 * sandbox and its gateway address first.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BoundSockets {
  udp: dgram.Socket;
  tcp: net.Server;
}

const HELPER = fileURLToPath(new URL('./bind-helper.ts', import.meta.url));

/**
 * Binds UDP and TCP `port` on `address` inside namespace `namespace` and returns both sockets, now
 * owned by this process. Rejects with the helper's error (e.g. EADDRNOTAVAIL while the gateway
 * address is not configured yet) or on timeout.
 */
export function bindInNamespace(namespace: string, address: string, port: number, timeoutMs = 5000): Promise<BoundSockets> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, HELPER, address, String(port)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let udp: dgram.Socket | undefined;
    let tcp: net.Server | undefined;
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect(); // the helper exits on disconnect
      if (err) {
        if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
        udp?.close();
        tcp?.close();
        reject(err);
      } else {
        resolve({ udp: udp!, tcp: tcp! });
      }
    };
    const where = `${namespace} ${address}:${port}`;
    const timer = setTimeout(() => finish(new Error(`bind helper for ${where} timed out; stderr: ${stderr.trim()}`)), timeoutMs);
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', (err) => finish(new Error(`cannot start bind helper for ${where}: ${err.message}`)));
    child.on('exit', (code) => finish(new Error(`bind helper for ${where} exited ${code}: ${stderr.trim()}`)));
    child.on('message', (msg: { kind?: string; message?: string }, handle: unknown) => {
      if (msg.kind === 'udp') udp = handle as dgram.Socket;
      else if (msg.kind === 'tcp') tcp = handle as net.Server;
      else if (msg.kind === 'error') finish(new Error(`bind helper for ${where}: ${msg.message}`));
      if (udp && tcp) finish(null);
    });
  });
}

/**
 * The identity (device:inode) of named namespace `namespace`, or undefined if it does not exist.
 * A socket keeps the namespace it was bound in alive: when the reconciler deletes and recreates a
 * sandbox under the same name, our old socket serves a namespace nobody uses any more. Comparing
 * this identity on every sync is how the server notices and binds again.
 */
export function namespaceIdentity(namespace: string): string | undefined {
  try {
    const st = statSync(`/run/netns/${namespace}`); // where `ip netns add` mounts named namespaces
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Binds UDP and TCP on the same port in this process's own namespace (tests, benchmarks; port 0
 * picks a free one), with SO_REUSEPORT like the helper.
 */
export async function bindLocal(address: string, port: number): Promise<BoundSockets> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4', reusePort: true });
    await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(port, address, () => resolve()); });
    const tcp = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen({ host: address, port: udp.address().port, reusePort: true }, () => resolve()); });
      return { udp, tcp };
    } catch (err) {
      udp.close();
      if (port !== 0 || attempt >= 5) throw err; // a random UDP port may be taken on TCP: retry
    }
  }
}
