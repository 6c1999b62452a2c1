/**
 * The DNS daemon's control channel: newline-delimited JSON over a unix socket.
 *
 * Owns: the request shapes, the server side that applies them to a DnsServer (persisting state
 * first), and the client the agent uses. The client sends changes over one kept connection
 * (control-session.ts), which the daemon ends when it leaves (handover, upgrade), so the next change
 * reaches its successor; every other request opens its own connection. Never accepts anything but
 * a unix socket: only root on this host may steer DNS.
 */
import { chmodSync } from 'node:fs';
import net from 'node:net';
import type { NetworkModel } from '../../protocol/model.ts';
import type { NetworkMetrics } from './metrics.ts';
import type { Upstream } from './resolv-conf.ts';
import { type DnsPatch, DnsPatchError } from './patch.ts';
import type { Binding, DnsServer } from './server.ts';
import type { DnsState } from './state-file.ts';
import { ControlSession, type Reply, replyResult } from './control-session.ts';

export type ControlRequest =
  | { op: 'ping' }
  | { op: 'setNetworks'; networks: NetworkModel[]; epoch?: string }
  // `base` is the epoch of the model the patch was computed against; `epoch` names the result.
  | { op: 'patchNetworks'; patch: DnsPatch; base?: string; epoch: string }
  | { op: 'setUpstreams'; upstreams: Upstream[] }
  | { op: 'syncListeners'; bindings: [string, Binding][] }
  | { op: 'metrics' }
  | { op: 'state' }
  | { op: 'handover' } // from a successor that bound alongside: close and exit
  | { op: 'upgrade' }; // start a successor, hand it the sockets, exit (upgrade.ts)

/** How the daemon leaves: `run` produces the reply, `after` runs once the reply is sent. */
export interface Exit {
  run(): Promise<unknown>;
  after(): void;
}

/** The control server, and a promise for the moment every change it accepted has been applied. */
export interface ControlServer {
  net: net.Server;
  idle(): Promise<void>;
  /** Ends the kept connections (each after its request in progress): the daemon is leaving. */
  endSessions(): void;
}

/** The requests a client may send on a kept connection (control-session.ts): the changes. */
const KEEPABLE: ReadonlySet<ControlRequest['op']> = new Set(['setNetworks', 'patchNetworks', 'setUpstreams', 'syncListeners']);

/**
 * Serves the control protocol on `path` for `server`. `persist` records each change once it is
 * applied (the daemon coalesces the writes, state-file.ts); `exits` implements `handover` and
 * `upgrade`, which end this daemon.
 */
export function serveControl(
  path: string,
  server: DnsServer,
  persist: (state: DnsState) => void,
  state: () => DnsState,
  exits: { handover: Exit; upgrade: Exit },
): ControlServer {
  const exec = async (req: ControlRequest): Promise<unknown> => {
    switch (req.op) {
      case 'ping':
        return { pid: process.pid };
      case 'setNetworks':
        server.setNetworks(req.networks);
        persist({ ...state(), networks: req.networks, epoch: req.epoch });
        return null;
      case 'patchNetworks': {
        const held = state().epoch;
        if (!req.base || req.base !== held)
          throw new DnsPatchError('DNS_PATCH_STALE', `patch against model ${req.base ?? '(none)'}, but this daemon holds ${held ?? 'an unnamed one'}`);
        server.patchNetworks(req.patch);
        persist({ ...state(), networks: [...server.model()], epoch: req.epoch });
        return null;
      }
      case 'setUpstreams':
        server.setUpstreams(req.upstreams);
        persist({ ...state(), upstreams: req.upstreams });
        return null;
      case 'syncListeners': {
        persist({ ...state(), bindings: req.bindings });
        const errors = await server.syncListeners(new Map(req.bindings));
        return Object.fromEntries([...errors].map(([id, e]) => [id, e.message]));
      }
      case 'metrics':
        return server.metrics();
      case 'state':
        return state();
      case 'handover':
        return exits.handover.run();
      case 'upgrade':
        return exits.upgrade.run();
    }
  };
  // Changes run one at a time, in arrival order: each records `{ ...state(), <its field> }`, so two
  // at once could drop the other's field (issue 7), and a patch must see the model before it.
  let changes: Promise<unknown> = Promise.resolve();
  const run = (req: ControlRequest): Promise<unknown> => {
    if (req.op !== 'setNetworks' && req.op !== 'patchNetworks' && req.op !== 'setUpstreams' && req.op !== 'syncListeners') return exec(req);
    const result = changes.then(() => exec(req));
    changes = result.catch(() => undefined);
    return result;
  };
  // Connections that asked to stay open (`keep`, control-session.ts), and whether one is busy with a
  // request. A leaving daemon ends them (endSessions): a request that arrives after that is left
  // unanswered and unapplied, so the client sends it again on a new connection, to the successor.
  const sessions = new Map<net.Socket, { busy: boolean }>();
  let leaving = false;
  const control = net.createServer((conn) => {
    let buf = '';
    const self = { busy: false };
    conn.on('error', () => undefined);
    conn.on('close', () => sessions.delete(conn));
    const next = () => {
      const nl = buf.indexOf('\n');
      if (self.busy || nl < 0 || conn.writableEnded) return;
      if (leaving && sessions.has(conn)) return void conn.end();
      let req: ControlRequest & { keep?: boolean };
      try {
        req = JSON.parse(buf.slice(0, nl));
      } catch {
        conn.end(JSON.stringify({ ok: false, error: 'bad json' }) + '\n');
        return;
      }
      buf = buf.slice(nl + 1);
      // Only changes may keep the connection; an exit (handover, upgrade) always ends it.
      const keep = req.keep === true && KEEPABLE.has(req.op) && !leaving;
      self.busy = true;
      const answer = (reply: Reply) => {
        self.busy = false;
        if (!keep)
          return void conn.end(JSON.stringify(reply) + '\n', () => {
            if (reply.ok && (req.op === 'handover' || req.op === 'upgrade')) exits[req.op].after();
          });
        sessions.set(conn, self);
        conn.write(JSON.stringify({ ...reply, kept: true }) + '\n');
        if (leaving) conn.end();
        else next(); // a request that came while this one ran
      };
      run(req).then(
        (result) => answer({ ok: true, result }),
        (err) => answer({ ok: false, error: String(err?.message ?? err), code: err?.code }),
      );
    };
    conn.on('data', (chunk) => {
      buf += chunk;
      next();
    });
  });
  // Only root may steer DNS: the socket file is 0600 (connect needs write permission).
  control.listen(path, () => chmodSync(path, 0o600));
  return {
    net: control,
    endSessions: () => {
      leaving = true;
      for (const [conn, { busy }] of sessions) if (!busy) conn.end();
    },
    idle: async () => {
      for (let seen; seen !== changes; ) {
        seen = changes;
        await seen;
      }
    },
  };
}

/** Sends one request to the daemon at `path` and returns its result. */
export function request<T = unknown>(path: string, req: ControlRequest, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`dns control ${req.op}: timed out`));
    }, timeoutMs);
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    conn.on('connect', () => conn.write(JSON.stringify(req) + '\n'));
    conn.on('data', (d) => {
      buf += d;
    });
    conn.on('end', () => {
      clearTimeout(timer);
      let reply: Reply;
      try {
        reply = JSON.parse(buf) as Reply;
      } catch {
        reject(new Error(`dns control ${req.op}: no reply`));
        return;
      }
      try {
        resolve(replyResult<T>(req.op, reply));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

/** What the agent holds: a handle on the long-lived DNS daemon (see docs/dns.md). */
export class DnsDaemonClient {
  readonly path: string;
  // The name of the last model this client sent, which the next patch is based on. Unset until
  // the first setNetworks and after a failed change, so the next patch is refused (not guessed).
  private epoch: string | undefined;
  private readonly session = Math.random().toString(36).slice(2, 10);
  private sent = 0;
  // Changes go over one kept connection (control-session.ts); the rest opens one per request.
  private readonly changes: ControlSession;
  constructor(path: string) {
    this.path = path;
    this.changes = new ControlSession(path);
  }
  /** True when a daemon answers on the control socket. */
  async alive(): Promise<boolean> {
    return request(this.path, { op: 'ping' }, 2000).then(
      () => true,
      () => false,
    );
  }
  /** Replaces the model the daemon serves (idempotent; send the whole list every time). */
  setNetworks(networks: NetworkModel[]): Promise<void> {
    const epoch = this.nextEpoch();
    return this.track(epoch, this.changes.send({ op: 'setNetworks', networks, epoch }));
  }

  /**
   * Applies `patch` (diffNetworks(prev, next)) to the model the daemon serves; null is a no-op.
   * `prev` must be the model this client last sent (by setNetworks or patchNetworks). Rejects with
   * a DnsPatchError when the daemon holds another model — it restarted from an older state file,
   * another client changed it, or this client has sent none yet: send the whole model then
   * (setNetworks(next)). Changes must not overlap: await each before sending the next.
   */
  patchNetworks(patch: DnsPatch | null): Promise<void> {
    if (!patch) return Promise.resolve();
    const base = this.epoch;
    if (!base) return Promise.reject(new DnsPatchError('DNS_PATCH_STALE', 'dns control patchNetworks: no model sent by this client yet'));
    const epoch = this.nextEpoch();
    return this.track(epoch, this.changes.send({ op: 'patchNetworks', patch, base, epoch }));
  }

  private nextEpoch(): string {
    this.epoch = `${this.session}:${++this.sent}`;
    return this.epoch;
  }

  private track(epoch: string, sent: Promise<void>): Promise<void> {
    return sent.catch((err) => {
      if (this.epoch === epoch) this.epoch = undefined; // the daemon's model is unknown now
      throw err;
    });
  }
  /** Replaces the upstream resolvers for outside names. */
  setUpstreams(upstreams: Upstream[]): Promise<void> {
    return this.changes.send({ op: 'setUpstreams', upstreams });
  }
  /** Makes the daemon's sockets match `bindings`; returns the per-network bind errors. */
  syncListeners(bindings: ReadonlyMap<string, Binding>): Promise<Record<string, string>> {
    return this.changes.send({ op: 'syncListeners', bindings: [...bindings] });
  }
  /** Upgrades the daemon in place to the code on disk, losing no query; resolves with the new PID. */
  async upgrade(): Promise<number> {
    return (await request<{ pid: number }>(this.path, { op: 'upgrade' }, 15_000)).pid;
  }
  /** Counters per network. */
  metrics(): Promise<Record<string, NetworkMetrics>> {
    return request(this.path, { op: 'metrics' });
  }
}
