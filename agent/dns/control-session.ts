/**
 * One kept control connection from the agent to the DNS daemon, for the changes it sends on every
 * feed delta (setNetworks, patchNetworks, setUpstreams, syncListeners).
 *
 * Why: a connection per request costs a connect, an accept and one more wake-up of each process
 * before the daemon reads the change — on the path of every delta (docs/benchmarks.md#netupdate).
 * A kept connection is written at once. Requests go one at a time, each with `keep: true`; the
 * daemon's reply says whether it keeps the connection (`kept`). One that does not (an older
 * daemon, or one leaving: handover, upgrade) reads nothing more on it, so the next request opens a
 * new connection. A request that got no answer
 * before its connection ended was not applied (control.ts leaves it unread), so it is sent once
 * more on a new connection, which reaches the successor. Patches stay safe either way: each names
 * the model it applies to (its epoch), so a stale one is refused, never applied twice.
 */
import net from 'node:net';
import type { ControlRequest } from './control.ts';
import { type DnsPatchCode, DnsPatchError } from './patch.ts';

/** A reply; `kept`: the daemon keeps the connection open for the next request (control-session.ts). */
export type Reply = ({ ok: true; result?: unknown } | { ok: false; error: string; code?: string }) & { kept?: boolean };

/** The result of a reply to `op`, or its error thrown (a DnsPatchError for a refused patch). */
export function replyResult<T>(op: string, reply: Reply): T {
  if (reply.ok) return reply.result as T;
  if (reply.code?.startsWith('DNS_PATCH_')) throw new DnsPatchError(reply.code as DnsPatchCode, `dns control ${op}: ${reply.error}`);
  throw new Error(`dns control ${op}: ${reply.error}`);
}

type Pending = { req: ControlRequest; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class ControlSession {
  private conn: net.Socket | null = null;
  private buf = '';
  private inFlight: Pending | null = null;
  private retried = false; // the request in flight was already sent once on a connection that ended
  private readonly queue: Pending[] = [];

  private readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Sends `req` after the requests before it; resolves with its result (rejects like `request`). */
  send<T>(req: ControlRequest, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { req, resolve: resolve as (v: unknown) => void, reject, timer: undefined as unknown as NodeJS.Timeout };
      p.timer = setTimeout(() => this.fail(p, new Error(`dns control ${req.op}: timed out`)), timeoutMs);
      this.queue.push(p);
      this.pump();
    });
  }

  /** Closes the connection (the agent stops). */
  close(): void {
    this.conn?.destroy();
    this.conn = null;
  }

  private pump(): void {
    if (this.inFlight || !this.queue.length) return;
    this.inFlight = this.queue.shift()!;
    this.retried = false;
    this.write();
  }

  private write(): void {
    const p = this.inFlight!;
    const conn = this.connection();
    conn.write(JSON.stringify({ ...p.req, keep: true }) + '\n');
  }

  private connection(): net.Socket {
    if (this.conn && !this.conn.destroyed && this.conn.writable) return this.conn;
    const conn = net.connect(this.path);
    conn.unref(); // an idle session never keeps the agent alive; a request's timer does while it waits
    this.conn = conn;
    this.buf = '';
    conn.on('data', (d) => {
      if (conn !== this.conn) return;
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0 && this.inFlight; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.settle(line);
      }
    });
    const gone = (err?: Error) => {
      if (conn !== this.conn) return;
      this.conn = null;
      const p = this.inFlight;
      if (!p) return;
      // Unanswered: it was not applied. Once more on a new connection, then give up.
      if (!this.retried) {
        this.retried = true;
        this.write();
      } else this.fail(p, err ?? new Error(`dns control ${p.req.op}: no reply`));
    };
    conn.on('error', (err) => gone(err));
    conn.on('end', () => gone());
    conn.on('close', () => gone());
    return conn;
  }

  private settle(line: string): void {
    const p = this.inFlight!;
    clearTimeout(p.timer);
    this.inFlight = null;
    let reply: Reply | null = null;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      // not a reply: the connection is in an unknown state
    }
    // A daemon that did not keep the connection (an older one, or one leaving) reads nothing more
    // on it: the next request opens a new one.
    if (!reply?.kept) {
      this.conn?.destroy();
      this.conn = null;
    }
    try {
      p.resolve(replyResult(p.req.op, reply ?? { ok: false, error: 'no reply' }));
    } catch (err) {
      p.reject(err as Error);
    }
    this.pump();
  }

  private fail(p: Pending, err: Error): void {
    clearTimeout(p.timer);
    if (this.inFlight === p) {
      this.inFlight = null;
      this.conn?.destroy(); // its answer, should it come, belongs to no one
      this.conn = null;
    } else {
      const i = this.queue.indexOf(p);
      if (i >= 0) this.queue.splice(i, 1);
      else return;
    }
    p.reject(err);
    this.pump();
  }
}
