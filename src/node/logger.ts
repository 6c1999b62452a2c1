/**
 * Node-only: the API's logger (docs/operations.md). pino JSON lines on stdout, one object per line,
 * with `level` as a name, `time` in ms, `service: "weft-api"`, and `reqId` on every line logged
 * while a request runs (AsyncLocalStorage, set by the access-log middleware of src/app.ts). With
 * LOG_FORMAT=pretty the same lines are printed for humans by pino-pretty (development only).
 *
 * Secrets never reach it: the app logs paths without query strings and never headers, tokens or
 * webhook secrets; `redact` is a second line of defence for the usual field names.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '../telemetry.ts';

const requestContext = new AsyncLocalStorage<string>();

/** Runs `fn` with `reqId` as the logging context of everything it (and what it awaits) logs. */
export const withRequestId = <T>(reqId: string, fn: () => T): T => requestContext.run(reqId, fn);

export const REDACT = ['authorization', 'token', 'agentToken', 'secret', 'privateKey', '*.authorization', '*.token', '*.secret', '*.privateKey'];

export interface LogSettings {
  level: string;
  format: 'json' | 'pretty';
}

/** Creates the logger; `destination` defaults to stdout (tests pass a collector). */
export function createLogger(settings: LogSettings, destination?: DestinationStream): Pino {
  const stream = settings.format === 'pretty' ? pretty({ colorize: process.stdout.isTTY, destination: destination ?? 1, sync: true }) : destination;
  const options: pino.LoggerOptions = {
    level: settings.level,
    base: { service: 'weft-api' },
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin: () => {
      const reqId = requestContext.getStore();
      return reqId ? { reqId } : {};
    },
  };
  return stream ? pino(options, stream) : pino(options);
}

/** A `(line) => void` for code that logs plain lines (start-up, the webhook worker): each becomes one JSON line. */
export function lineLogger(log: Logger, fields: Record<string, unknown> = {}): (line: string) => void {
  return (line) => {
    if (/fail|error|not recorded|dead-lettered/i.test(line)) log.warn(fields, line);
    else log.info(fields, line);
  };
}
