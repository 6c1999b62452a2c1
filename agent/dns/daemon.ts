/**
 * The DNS daemon: the host's DNS server as its own long-lived process.
 *
 * Owns: the process that holds every network's DNS sockets, so that restarting the agent (crash,
 * upgrade, config change) never interrupts lookups — the daemon keeps answering from its last model,
 * which it also keeps on disk. Upgrades lose nothing: the running daemon starts the new code as its
 * child and hands it the very same sockets (upgrade.ts). A daemon started while another runs takes
 * over instead: it binds the same addresses alongside (SO_REUSEPORT) and only then tells the old
 * one to close and exit. It never programs the kernel; it only binds sockets the agent names.
 *
 *   node agent/dns/daemon.ts --control <unix socket> --state <json file> [--resolv-conf <file>]
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { request, serveControl, type ControlServer } from './control.ts';
import { readResolvConf } from './resolv-conf.ts';
import { DnsServer } from './server.ts';
import { readState, StateWriter, type DnsState } from './state-file.ts';
import { receiveFromParent, reportAdopted, spawnSuccessor } from './upgrade.ts';

export interface DaemonOptions {
  control: string;
  state: string;
  resolvConf?: string;
  log?: (line: string) => void;
}

/**
 * Starts serving. Three ways in: inheriting sockets from a parent daemon (`adopt`, an upgrade),
 * taking over from a running daemon on `control` (bind alongside, then `handover`), or cold from
 * the state file.
 */
export async function runDnsDaemon(
  opts: DaemonOptions & { adopt?: boolean },
): Promise<{ server: DnsServer; control: net.Server; close(): void; leaveNow(): void }> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`weft-dns[${process.pid}] ${line}\n`));
  const inherited = opts.adopt ? await receiveFromParent() : null;
  const predecessorPid = inherited
    ? undefined
    : await request<{ pid: number }>(opts.control, { op: 'ping' }, 3000).then(
        (r) => r.pid,
        () => undefined,
      );
  const predecessor = predecessorPid === undefined ? null : await request<DnsState>(opts.control, { op: 'state' }, 3000).catch(() => null);
  let state: DnsState = inherited?.state ?? predecessor ?? (await readState(opts.state));
  const gateways = new Set(state.networks.map((n) => n.gateway));
  const upstreams = state.upstreams ?? (await readResolvConf(opts.resolvConf, gateways));
  const server = new DnsServer({ upstreams });
  server.setNetworks(state.networks);
  if (inherited) {
    for (const [id, h] of inherited.inherited) {
      if (h.udp && h.tcp) server.adopt(id, h.binding, { udp: h.udp, tcp: h.tcp }, h.nsId);
      h.release(); // answer what arrived while we were starting
    }
    // The parent closes its copies and its control socket once told; its exit disconnects us.
    const gone = new Promise((r) => process.once('disconnect', r));
    reportAdopted(inherited.inherited.size);
    await gone;
    await waitGone(opts.control);
    log(`upgraded in place with ${inherited.inherited.size} networks`);
  }
  // Bind before a predecessor lets go: both serve for a moment, never neither. (After an
  // upgrade this only binds what the parent lacked.)
  const errors = await server.syncListeners(new Map(state.bindings));
  for (const [id, err] of errors) log(`cannot bind ${id}: ${err.message}`);
  if (predecessor) {
    await request(opts.control, { op: 'handover' }, 5000).catch((err) => log(`handover: ${err.message}`));
    await waitGone(opts.control);
    // It writes its last changes to the state file after closing its control socket, then exits.
    if (predecessorPid !== undefined) await waitExit(predecessorPid);
    log(`took over from the previous daemon with ${state.networks.length} networks`);
  }
  if (inherited || predecessor) {
    // The predecessor kept taking changes until it left, and wrote the last of them before it
    // exited: the file, not the snapshot it sent us, is the latest model.
    const latest = await readState(opts.state);
    if (JSON.stringify(latest.networks) !== JSON.stringify(state.networks)) server.setNetworks(latest.networks);
    if (latest.upstreams) server.setUpstreams(latest.upstreams);
    state = {
      networks: latest.networks,
      bindings: latest.bindings.length ? latest.bindings : state.bindings,
      upstreams: latest.upstreams ?? state.upstreams,
      epoch: latest.epoch,
    };
    const late = await server.syncListeners(new Map(state.bindings));
    for (const [id, err] of late) log(`cannot bind ${id}: ${err.message}`);
  }
  await rm(opts.control, { force: true }); // a stale socket file from a killed daemon
  // Each change is applied, then recorded; the file follows within 100 ms, one write per burst, and
  // is flushed before anything hands the model on (handover, upgrade, exit on a signal).
  const writer = new StateWriter(opts.state, 100, (err) => log(`cannot write ${opts.state}: ${err.message}`));
  const persist = (next: DnsState) => {
    state = next;
    writer.set(next);
  };
  persist(state);
  await writer.flush();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    control.net.close();
    control.endSessions(); // an agent's kept connection: its next change goes to the successor
    server.close();
  };
  // Stops taking changes, waits for the accepted ones and writes the state file: what a successor
  // reads once this process is gone.
  const settle = async () => {
    close();
    await control.idle();
    await writer.flush();
  };
  // What a successor must bind: the requested bindings, with the ports actually bound.
  const current = (): DnsState => {
    const bound = server.bindings();
    return { ...state, bindings: state.bindings.map(([id, b]) => [id, bound.get(id) ?? b]) };
  };
  const leave = async () => {
    await settle();
    setTimeout(() => process.exit(0), 50).unref();
  };
  let successor: ChildProcess | undefined;
  const args = ['--control', opts.control, '--state', opts.state, ...(opts.resolvConf ? ['--resolv-conf', opts.resolvConf] : [])];
  const control: ControlServer = serveControl(opts.control, server, persist, current, {
    handover: {
      run: async () => null,
      after: () => {
        log('handing over to a successor');
        void leave();
      },
    },
    upgrade: {
      run: async () => {
        successor = await spawnSuccessor(server, current(), args);
        return { pid: successor.pid };
      },
      after: async () => {
        log(`upgraded: successor ${successor?.pid} serves the sockets`);
        await settle(); // closes only our descriptors: the successor holds the same sockets
        successor?.disconnect(); // the successor reads the state file after this
        setTimeout(() => process.exit(0), 50).unref();
      },
    },
  });
  // For a signal handler: close, write what is not on disk yet, synchronously, and exit.
  const leaveNow = () => {
    close();
    writer.flushSync();
  };
  return { server, control: control.net, close, leaveNow };
}

/** Waits (up to 5 s) until process `pid` has exited (a zombie counts as exited). */
async function waitExit(pid: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitGone(path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const alive = await request(path, { op: 'ping' }, 500).then(
      () => true,
      () => false,
    );
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
  const daemon = await runDnsDaemon({ control, state, resolvConf: arg('resolv-conf'), adopt: process.argv.includes('--adopt') });
  process.stderr.write(`weft-dns[${process.pid}] ready\n`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.on(sig, () => {
      daemon.leaveNow();
      process.exit(0);
    });
}
