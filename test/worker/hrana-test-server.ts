/**
 * TEST ONLY — a small Hrana-over-HTTP server (protocol v2, JSON: `POST /v2/pipeline`) backed by the
 * real libSQL engine (the `libsql` package), so that the Worker's `@libsql/client/web` can be tested
 * here, where no sqld can be installed (STACK.md). Never the product's database: production uses
 * Turso / sqld.
 *
 * What it implements is what `@libsql/client/web` sends: execute, batch (with step conditions),
 * sequence, describe-less store_sql/close_sql, get_autocommit, close; a stream is one SQLite
 * connection kept across requests by its baton, so interactive transactions work. Like sqld it turns
 * foreign keys on for every connection, and it never blocks on a lock: a writer that finds the
 * database locked gets SQLITE_BUSY at once (the client retries), because a blocking call here would
 * stall this whole process, the lock holder's stream included.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'libsql';

type Value =
  | { type: 'null' }
  | { type: 'integer'; value: string }
  | { type: 'float'; value: number }
  | { type: 'text'; value: string }
  | { type: 'blob'; base64: string };
interface Stmt {
  sql?: string;
  sql_id?: number;
  args?: Value[];
  named_args?: { name: string; value: Value }[];
  want_rows?: boolean;
}
type Cond = { type: 'ok' | 'error'; step: number } | { type: 'not'; cond: Cond } | { type: 'and' | 'or'; conds: Cond[] } | { type: 'is_autocommit' };
type StreamRequest =
  | { type: 'close' }
  | { type: 'execute'; stmt: Stmt }
  | { type: 'batch'; batch: { steps: { condition?: Cond | null; stmt: Stmt }[] } }
  | { type: 'sequence'; sql?: string; sql_id?: number }
  | { type: 'store_sql'; sql_id: number; sql: string }
  | { type: 'close_sql'; sql_id: number }
  | { type: 'get_autocommit' };

interface HranaStream {
  db: Database.Database;
  sqls: Map<number, string>;
  idle: NodeJS.Timeout;
}

class HranaError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface HranaTestServer {
  url: string;
  /** Pipeline requests served, for assertions that traffic went through Hrana. */
  readonly requests: number;
  /** Runs SQL directly on the file (test set-up and inspection), outside any stream. */
  query(sql: string, ...args: unknown[]): unknown[];
  close(): Promise<void>;
}

export interface HranaTestServerOptions {
  /** The SQLite file to serve (created if missing). */
  path: string;
  /** When set, requests must carry `Authorization: Bearer <authToken>`. */
  authToken?: string;
  /** A stream idle this long is rolled back and closed (sqld uses 10 s). */
  streamIdleMs?: number;
}

const toValue = (v: unknown): Value => {
  if (v === null || v === undefined) return { type: 'null' };
  if (typeof v === 'bigint') return { type: 'integer', value: v.toString() };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'integer', value: String(v) } : { type: 'float', value: v };
  if (typeof v === 'string') return { type: 'text', value: v };
  if (v instanceof Uint8Array) return { type: 'blob', base64: Buffer.from(v).toString('base64') };
  return { type: 'text', value: String(v) };
};

const fromValue = (v: Value): unknown => {
  switch (v.type) {
    case 'null':
      return null;
    case 'integer':
      return BigInt(v.value);
    case 'float':
      return v.value;
    case 'text':
      return v.value;
    case 'blob':
      return Buffer.from(v.base64, 'base64');
  }
};

function asHranaError(error: unknown): HranaError {
  if (error instanceof HranaError) return error;
  const e = error as { message?: string; code?: string };
  return new HranaError(e.message ?? String(error), typeof e.code === 'string' ? e.code : 'SQLITE_ERROR');
}

function execute(stream: HranaStream, stmt: Stmt) {
  const sql = stmt.sql ?? (stmt.sql_id !== undefined ? stream.sqls.get(stmt.sql_id) : undefined);
  if (sql === undefined) throw new HranaError(`unknown sql_id ${stmt.sql_id}`, 'SQL_NOT_FOUND');
  const prepared = stream.db.prepare(sql);
  const args: unknown = stmt.named_args?.length
    ? Object.fromEntries(stmt.named_args.map((a) => [a.name.replace(/^[:@$]/, ''), fromValue(a.value)]))
    : (stmt.args ?? []).map(fromValue);
  const counters = stream.db.prepare('select total_changes(), last_insert_rowid()').raw(true).safeIntegers(true);
  const [before] = counters.all() as [bigint, bigint][];
  let rows: unknown[][] = [];
  let cols: { name: string; decltype: string | null }[] = [];
  if (prepared.reader) {
    prepared.raw(true).safeIntegers(true);
    rows = (Array.isArray(args) ? prepared.all(...args) : prepared.all(args)) as unknown[][];
    cols = (prepared.columns() as { name: string; type: string | null }[]).map((c) => ({ name: c.name, decltype: c.type ?? null }));
  } else if (Array.isArray(args)) prepared.run(...args);
  else prepared.run(args);
  const [after] = counters.all() as [bigint, bigint][];
  const affected = Number(after[0] - before[0]);
  return {
    cols,
    rows: stmt.want_rows === false ? [] : rows.map((row) => row.map(toValue)),
    affected_row_count: affected,
    last_insert_rowid: affected > 0 ? after[1].toString() : null,
  };
}

function holds(cond: Cond | null | undefined, stream: HranaStream, results: unknown[], errors: unknown[]): boolean {
  if (!cond) return true;
  switch (cond.type) {
    case 'ok':
      return results[cond.step] != null;
    case 'error':
      return errors[cond.step] != null;
    case 'not':
      return !holds(cond.cond, stream, results, errors);
    case 'and':
      return cond.conds.every((c) => holds(c, stream, results, errors));
    case 'or':
      return cond.conds.some((c) => holds(c, stream, results, errors));
    case 'is_autocommit':
      return !stream.db.inTransaction;
  }
}

function handle(stream: HranaStream, request: StreamRequest): Record<string, unknown> {
  switch (request.type) {
    case 'execute':
      return { type: 'execute', result: execute(stream, request.stmt) };
    case 'batch': {
      const results: unknown[] = [];
      const errors: unknown[] = [];
      for (const step of request.batch.steps) {
        if (!holds(step.condition, stream, results, errors)) {
          results.push(null);
          errors.push(null);
          continue;
        }
        try {
          results.push(execute(stream, step.stmt));
          errors.push(null);
        } catch (error) {
          const e = asHranaError(error);
          results.push(null);
          errors.push({ message: e.message, code: e.code });
        }
      }
      return { type: 'batch', result: { step_results: results, step_errors: errors } };
    }
    case 'sequence': {
      const sql = request.sql ?? (request.sql_id !== undefined ? stream.sqls.get(request.sql_id) : undefined);
      if (sql === undefined) throw new HranaError('sequence without sql', 'SQL_NOT_FOUND');
      stream.db.exec(sql);
      return { type: 'sequence' };
    }
    case 'store_sql':
      stream.sqls.set(request.sql_id, request.sql);
      return { type: 'store_sql' };
    case 'close_sql':
      stream.sqls.delete(request.sql_id);
      return { type: 'close_sql' };
    case 'get_autocommit':
      return { type: 'get_autocommit', is_autocommit: !stream.db.inTransaction };
    case 'close':
      return { type: 'close' };
    default:
      throw new HranaError(`unsupported request ${(request as { type: string }).type}`, 'PROTOCOL_ERROR');
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Starts the server on 127.0.0.1 (a free port). */
export async function startHranaTestServer(options: HranaTestServerOptions): Promise<HranaTestServer> {
  const idleMs = options.streamIdleMs ?? 10_000;
  const streams = new Map<string, HranaStream>();
  let served = 0;

  const open = (): HranaStream => {
    const db = new Database(options.path, { timeout: 0 });
    db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 0');
    return { db, sqls: new Map(), idle: setTimeout(() => {}, 0) };
  };
  const closeStream = (baton: string | null, stream: HranaStream) => {
    clearTimeout(stream.idle);
    if (baton) streams.delete(baton);
    try {
      if (stream.db.inTransaction) stream.db.exec('ROLLBACK');
    } catch {
      // nothing to roll back
    }
    stream.db.close();
  };

  const admin = open();

  const respond = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer(async (req, res) => {
    try {
      if (options.authToken && req.headers.authorization !== `Bearer ${options.authToken}`) return respond(res, 401, { message: 'unauthorized' });
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && (path === '/v2' || path === '/health')) return respond(res, 200, {});
      if (req.method !== 'POST' || path !== '/v2/pipeline') return respond(res, 404, { message: `not found: ${req.method} ${path}` });
      served++;
      const body = (await readJson(req)) as { baton?: string | null; requests: StreamRequest[] };
      let baton = body.baton ?? null;
      let stream: HranaStream;
      if (baton) {
        const found = streams.get(baton);
        if (!found) return respond(res, 400, { message: 'stream not found or expired (baton)', code: 'STREAM_EXPIRED' });
        streams.delete(baton);
        stream = found;
      } else stream = open();
      clearTimeout(stream.idle);
      const results: unknown[] = [];
      let closed = false;
      for (const request of body.requests) {
        if (closed) {
          results.push({ type: 'error', error: { message: 'stream closed', code: 'STREAM_CLOSED' } });
          continue;
        }
        try {
          results.push({ type: 'ok', response: handle(stream, request) });
          if (request.type === 'close') closed = true;
        } catch (error) {
          const e = asHranaError(error);
          results.push({ type: 'error', error: { message: e.message, code: e.code } });
        }
      }
      if (closed) {
        closeStream(null, stream);
        baton = null;
      } else {
        baton = randomUUID();
        const next = baton;
        stream.idle = setTimeout(() => closeStream(next, stream), idleMs);
        streams.set(baton, stream);
      }
      respond(res, 200, { baton, base_url: null, results });
    } catch (error) {
      respond(res, 500, { message: (error as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return served;
    },
    query(sql, ...args) {
      const prepared = admin.db.prepare(sql);
      return prepared.reader ? prepared.all(...args) : [prepared.run(...args)];
    },
    async close() {
      for (const [baton, stream] of [...streams]) closeStream(baton, stream);
      closeStream(null, admin);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
