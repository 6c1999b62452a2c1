/**
 * What the app reports about itself, as interfaces: a structured logger and the metric events the
 * runtime-neutral code emits. Node implements them with pino and prom-client (src/node/logger.ts,
 * src/node/metrics.ts); the Worker uses `consoleLogger` and no metrics (Cloudflare has its own
 * analytics, and an isolate's counters would be per isolate). Nothing here imports a runtime.
 *
 * Labels stay bounded (docs/operations.md): an operation name is kept only while fewer than
 * MAX_OPERATION_NAMES distinct names were seen, and never a label per request.
 */

/** pino's call shapes, the subset the app uses: `log.info({ reqId }, 'message')` or `log.info('message')`. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export type StreamTransport = 'sse' | 'ws';

/** Metric events of the request path. Every method is cheap and never throws. */
export interface Telemetry {
  /** One GraphQL operation answered: its (bounded) name, type, outcome code ('OK' or the first error's code) and duration. */
  graphqlOperation(operation: string, type: string, code: string, seconds: number): void;
  /** A feed subscription opened (+1) or ended (−1). */
  feedStream(kind: string, transport: StreamTransport, delta: 1 | -1): void;
  /** One HTTP request answered (the access log's twin). */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
}

export const noTelemetry: Telemetry = {
  graphqlOperation() {},
  feedStream() {},
  httpRequest() {},
};

/** JSON lines on the console, for runtimes without pino (the Worker): the same fields as pino's. */
export function consoleLogger(bindings: Record<string, unknown> = {}): Logger {
  const line = (level: string, sink: (s: string) => void) => (obj: object | string, msg?: string) =>
    sink(JSON.stringify({ level, time: Date.now(), ...bindings, ...(typeof obj === 'string' ? { msg: obj } : { ...obj, msg }) }));
  return {
    debug: () => {},
    info: line('info', console.log),
    warn: line('warn', console.warn),
    error: line('error', console.error),
  };
}

export const MAX_OPERATION_NAMES = 200;

/**
 * Keeps the operation label bounded: a client chooses operation names freely, so after
 * MAX_OPERATION_NAMES distinct ones every new name is counted as `_other`. Anonymous operations are
 * labelled by their root fields (bounded by the schema).
 */
export function operationLabeller(max = MAX_OPERATION_NAMES) {
  const seen = new Set<string>();
  return (name: string | null | undefined, rootFields: readonly string[]): string => {
    const label = name && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? name : rootFields.length ? `{${[...rootFields].sort().join(',')}}` : '_anonymous';
    if (seen.has(label)) return label;
    if (seen.size >= max) return '_other';
    seen.add(label);
    return label;
  };
}
