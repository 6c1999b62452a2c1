/**
 * Obtains a network's DNS sockets from inside its sandbox namespace (docs/architecture.md §5.2).
 *
 * Owns: starting bind-helper.ts with `ip netns exec`, receiving its UDP and TCP handles over IPC,
 * making sure the helper is gone afterwards (killed by its own PID on timeout), and — for tests —
 * binding the same pair in our own namespace. It never enters a
 * namespace itself and never touches a namespace's configuration: the reconciler creates the
 * sandbox and its gateway address first.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { statSync } from 'node:fs';
import { childScript } from './script-path.ts';

export interface BoundSockets {
  udp: dgram.Socket;
  tcp: net.Server;
  /** Replays datagrams and connections that arrived before the server listened (see holdEarly). */
  release?: () => void;
}

/**
 * A socket starts reading as soon as it is bound or received over IPC, and a datagram or connection
 * emitted before anyone listens is lost. With SO_REUSEPORT a new socket gets traffic from its first
 * moment (a takeover, an upgrade), so hold everything from then on; the returned function stops
 * holding and re-emits it, to be called once the real listeners are attached.
 */
export function holdEarly(udp?: dgram.Socket, tcp?: net.Server): () => void {
  const datagrams: [Buffer, dgram.RemoteInfo][] = [];
  const connections: net.Socket[] = [];
  const onDatagram = (msg: Buffer, rinfo: dgram.RemoteInfo) => datagrams.push([msg, rinfo]);
  const onConnection = (c: net.Socket) => connections.push(c);
  udp?.on('message', onDatagram);
  tcp?.on('connection', onConnection);
  return () => {
    udp?.off('message', onDatagram);
    tcp?.off('connection', onConnection);
    for (const [msg, rinfo] of datagrams.splice(0)) udp?.emit('message', msg, rinfo);
    for (const c of connections.splice(0)) tcp?.emit('connection', c);
  };
}

const HELPER = childScript(import.meta.url, 'bind-helper');

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
    const releases: (() => void)[] = [];
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
        resolve({ udp: udp!, tcp: tcp!, release: () => releases.forEach((r) => r()) });
      }
    };
    const where = `${namespace} ${address}:${port}`;
    const timer = setTimeout(() => finish(new Error(`bind helper for ${where} timed out; stderr: ${stderr.trim()}`)), timeoutMs);
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (err) => finish(new Error(`cannot start bind helper for ${where}: ${err.message}`)));
    child.on('exit', (code) => finish(new Error(`bind helper for ${where} exited ${code}: ${stderr.trim()}`)));
    child.on('message', (msg: { kind?: string; message?: string }, handle: unknown) => {
      if (msg.kind === 'udp') releases.push(holdEarly((udp = handle as dgram.Socket)));
      else if (msg.kind === 'tcp') releases.push(holdEarly(undefined, (tcp = handle as net.Server)));
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
    const releaseUdp = holdEarly(udp);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, address, () => resolve());
    });
    const tcp = net.createServer();
    const releaseTcp = holdEarly(undefined, tcp);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: udp.address().port, reusePort: true }, () => resolve());
      });
      return {
        udp,
        tcp,
        release: () => {
          releaseUdp();
          releaseTcp();
        },
      };
    } catch (err) {
      udp.close();
      if (port !== 0 || attempt >= 5) throw err; // a random UDP port may be taken on TCP: retry
    }
  }
}
