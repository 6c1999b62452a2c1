/**
 * The agent's log lines as JSON (pino): the agent passes a `log(line)` function everywhere, and this
 * wraps it, so no call site changes. Every line carries `level`, `time`, `service: "weft-agent"`
 * and `host` (the host id); a line about a failure is logged at `warn`. With `pretty` the same lines
 * are printed for humans (development).
 *
 * Secrets: the agent never logs its token or the WireGuard private key (the `wg show dump` parser
 * drops it, docs/architecture.md §4.1); `redact` also censors fields with those names.
 */
import pino, { type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

const FAILURE = /\b(fail(ed|s|ure)?|error|refused|cannot|not reachable|invalid)\b/i;

export interface AgentLogOptions {
  hostId: string;
  format?: 'json' | 'pretty';
  level?: string;
  /** Where lines go (stdout by default; tests collect them). */
  destination?: DestinationStream;
}

/** A `log(line)` for the agent that writes one JSON object per line. */
export function agentLogger(options: AgentLogOptions): (line: string) => void {
  const stream =
    options.format === 'pretty' ? pretty({ colorize: process.stdout.isTTY, destination: options.destination ?? 1, sync: true }) : options.destination;
  const settings: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'weft-agent', host: options.hostId },
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['token', 'agentToken', 'privateKey', 'authorization', '*.token', '*.privateKey'], censor: '[redacted]' },
  };
  const logger = stream ? pino(settings, stream) : pino(settings);
  return (line) => {
    const [first, ...rest] = line.split('\n');
    const fields = rest.length ? { detail: rest.join('\n') } : {};
    if (FAILURE.test(first)) logger.warn(fields, first);
    else logger.info(fields, first);
  };
}
