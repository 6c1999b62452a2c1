/**
 * The DNS daemon: the host's DNS server as its own long-lived process.
 *
 * Owns: the process that holds every network's DNS sockets, so that restarting the agent (crash,
 * upgrade, config change) never interrupts lookups — the daemon keeps answering from its last model,
 * which it also keeps on disk. A new daemon takes over from a running one without a gap: it fetches
 * the old one's state, binds the same addresses alongside it (SO_REUSEPORT), and only then tells the
 * old one to close and exit. It never programs the kernel; it only binds sockets the agent names.
 *
 *   node agent/dns/daemon.ts --control <unix socket> --state <json file> [--resolv-conf <file>]
 */
import { rm } from 'node:fs/promises';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { request, serveControl } from './control.ts';
import { readResolvConf } from './resolv-conf.ts';
import { DnsServer } from './server.ts';
import { readState, writeState, type DnsState } from './state-file.ts';

export interface DaemonOptions {
  control: string;
  state: string;
  resolvConf?: string;
  log?: (line: string) => void;
}

/** Starts serving (taking over from a running daemon on `control` if there is one). */
export async function runDnsDaemon(opts: DaemonOptions): Promise<{ server: DnsServer; control: net.Server; close(): void }> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`weft-dns[${process.pid}] ${line}\n`));
  const predecessor = await request<DnsState>(opts.control, { op: 'state' }, 3000).catch(() => null);
  let state: DnsState = predecessor ?? (await readState(opts.state));
  const gateways = new Set(state.networks.map((n) => n.gateway));
  const upstreams = state.upstreams ?? (await readResolvConf(opts.resolvConf, gateways));
  const server = new DnsServer({ upstreams });
  server.setNetworks(state.networks);
  // Bind before the predecessor lets go: both serve for a moment, never neither.
  const errors = await server.syncListeners(new Map(state.bindings));
  for (const [id, err] of errors) log(`cannot bind ${id}: ${err.message}`);
  if (predecessor) {
    await request(opts.control, { op: 'handover' }, 5000).catch((err) => log(`handover: ${err.message}`));
    await waitGone(opts.control);
    log(`took over from the previous daemon with ${state.networks.length} networks`);
  }
  await rm(opts.control, { force: true }); // a stale socket file from a killed daemon
  const persist = async (next: DnsState) => { await writeState(opts.state, next); state = next; };
  await persist(state);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    control.close();
    server.close();
  };
  // What a successor must bind: the requested bindings, with the ports actually bound.
  const current = (): DnsState => {
    const bound = server.bindings();
    return { ...state, bindings: state.bindings.map(([id, b]) => [id, bound.get(id) ?? b]) };
  };
  const control = serveControl(opts.control, server, persist, current, () => {
    log('handing over to a successor');
    close();
    setTimeout(() => process.exit(0), 50).unref();
  });
  return { server, control, close };
}

async function waitGone(path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const alive = await request(path, { op: 'ping' }, 500).then(() => true, () => false);
    if (!alive) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const control = arg('control');
  const state = arg('state');
  if (!control || !state) {
    process.stderr.write('usage: node daemon.ts --control <unix socket> --state <file> [--resolv-conf <file>]\n');
    process.exit(2);
  }
  const daemon = await runDnsDaemon({ control, state, resolvConf: arg('resolv-conf') });
  process.stderr.write(`weft-dns[${process.pid}] ready\n`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => { daemon.close(); process.exit(0); });
}
