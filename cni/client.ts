/**
 * weft-cni's client of the agent's attach API (agent/runtime/server.ts) over its Unix socket.
 * A socket nobody answers on is the code UNREACHABLE, so the plugin can tell "no agent" from an
 * answer. Erasable TypeScript only: Node runs this file as it is.
 */
import { request } from 'node:http';

/** An answer of the attach API that was not 200, or UNREACHABLE. */
export class AgentError extends Error {
  readonly code: string;
  readonly details: string[];
  constructor(code: string, message: string, details: string[] = []) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
    this.details = details;
  }
}

/** Calls one route; resolves with its JSON or rejects with an AgentError. */
export function callAgent<T>(socketPath: string, method: 'GET' | 'POST', path: string, payload?: unknown, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false, timeout: timeoutMs, headers: { 'content-type': 'application/json' } }, (res) => {
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (raw += c));
      res.on('end', () => {
        let json: any = {};
        try {
          json = raw ? JSON.parse(raw) : {};
        } catch {
          return reject(new AgentError('INTERNAL', `the agent answered ${res.statusCode} with non-JSON: ${raw.slice(0, 200)}`));
        }
        if (res.statusCode === 200) resolve(json as T);
        else reject(new AgentError(json.code ?? 'INTERNAL', json.message ?? `HTTP ${res.statusCode}`, json.details ?? []));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e instanceof AgentError
          ? e
          : new AgentError('UNREACHABLE', `weft-agent is not reachable at ${socketPath} (${e.code ?? e.message}): is it running, with this attach socket?`),
      ),
    );
    req.end(payload === undefined ? undefined : JSON.stringify(payload));
  });
}
