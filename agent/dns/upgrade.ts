/**
 * Upgrading the DNS daemon in place, without dropping a query.
 *
 * Owns: the IPC exchange in which a running daemon starts its successor (the code now on disk) as a
 * detached child and passes it the state and every network's UDP and TCP sockets. The sockets are
 * the same kernel objects, so their receive queues survive: nothing is lost, unlike closing a
 * socket in a SO_REUSEPORT group (the fallback takeover in daemon.ts). Only accepted TCP
 * connections of the old process are cut; their clients retry. Never binds anything itself.
 */
import { spawn } from 'node:child_process';
import type dgram from 'node:dgram';
import type net from 'node:net';
import { holdEarly } from './netns-bind.ts';
import type { Binding, DnsServer } from './server.ts';
import type { DnsState } from './state-file.ts';
import { childScript } from './script-path.ts';

const DAEMON = childScript(import.meta.url, 'daemon');

type Msg =
  | { kind: 'state'; state: DnsState }
  | { kind: 'udp' | 'tcp'; networkId: string; binding: Binding; nsId?: string }
  | { kind: 'done' }
  | { kind: 'adopted'; networks: number };

/** Inherited sockets of one network, as the successor receives them. */
export interface Inherited {
  binding: Binding;
  nsId?: string;
  udp?: dgram.Socket;
  tcp?: net.Server;
  /** Stops buffering and re-emits what arrived before the server listened (call after adopting). */
  release: () => void;
}

/**
 * Parent side: starts `daemon.ts <args> --adopt` detached with an IPC channel, sends `state` and all
 * of `server`'s sockets, and resolves with the child once it serves them (it then waits for this
 * process to disconnect before taking the control socket).
 */
export function spawnSuccessor(server: DnsServer, state: DnsState, args: string[], timeoutMs = 10_000): Promise<ReturnType<typeof spawn>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DAEMON, ...args, '--adopt'], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      fail(new Error('successor did not adopt the sockets in time'));
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
      reject(err);
    };
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`successor exited ${code}`)));
    child.on('message', (m: Msg) => {
      if (m.kind !== 'adopted') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.unref();
      resolve(child);
    });
    const send = (m: Msg, handle?: dgram.Socket | net.Server) => child.send(m, handle as net.Server);
    send({ kind: 'state', state });
    for (const [networkId, h] of server.handles()) {
      send({ kind: 'udp', networkId, binding: h.binding, nsId: h.nsId }, h.sockets.udp);
      send({ kind: 'tcp', networkId, binding: h.binding, nsId: h.nsId }, h.sockets.tcp);
    }
    send({ kind: 'done' });
  });
}

/**
 * Child side: receives the state and sockets sent by `spawnSuccessor`. Each socket's early traffic
 * is held (holdEarly) and replayed by `release()` once the server has adopted it.
 */
export function receiveFromParent(): Promise<{ state: DnsState; inherited: Map<string, Inherited> }> {
  return new Promise((resolve, reject) => {
    let state: DnsState | undefined;
    const inherited = new Map<string, Inherited>();
    process.on('message', (m: Msg, handle?: unknown) => {
      if (m.kind === 'state') state = m.state;
      else if (m.kind === 'udp' || m.kind === 'tcp') {
        const entry = inherited.get(m.networkId) ?? { binding: m.binding, nsId: m.nsId, release: () => undefined };
        const previous = entry.release;
        const release = m.kind === 'udp' ? holdEarly((entry.udp = handle as dgram.Socket)) : holdEarly(undefined, (entry.tcp = handle as net.Server));
        entry.release = () => {
          previous();
          release();
        };
        inherited.set(m.networkId, entry);
      } else if (m.kind === 'done') {
        if (state) resolve({ state, inherited });
        else reject(new Error('upgrade: no state received'));
      }
    });
  });
}

/** Child side: tells the parent the sockets are served, so it may close its copies and exit. */
export function reportAdopted(networks: number): void {
  process.send?.({ kind: 'adopted', networks } satisfies Msg);
}
