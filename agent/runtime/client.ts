/**
 * A tiny client of the attach API over its Unix socket (used by the CLI and tests).
 * Errors keep the server's `code`, so a runtime can branch on CONTAINER_UNKNOWN (retry later) etc.
 */
import { request } from 'node:http';
import type { AttachResult } from './env';

/** An error answered by the attach API. */
export class AttachApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string[] = [],
  ) {
    super(`${code}: ${message}${details.length ? ` (${details.join('; ')})` : ''}`);
    this.name = 'AttachApiError';
  }
}

/** Calls one endpoint and returns its JSON, or throws AttachApiError. */
export function callAttachApi<T>(socketPath: string, method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let raw = '';
      res
        .setEncoding('utf8')
        .on('data', (c) => (raw += c))
        .on('end', () => {
          const json = raw ? JSON.parse(raw) : {};
          if (res.statusCode === 200) resolve(json as T);
          else reject(new AttachApiError(res.statusCode ?? 0, json.code ?? 'UNKNOWN', json.message ?? raw, json.details ?? []));
        });
    });
    req.on('error', reject);
    req.end(payload === undefined ? undefined : JSON.stringify(payload));
  });
}

/** POST /v1/attach. */
export const attachContainer = (socketPath: string, containerId: string, netnsPath: string) =>
  callAttachApi<AttachResult>(socketPath, 'POST', '/v1/attach', { containerId, netnsPath });

/** POST /v1/detach. */
export const detachContainer = (socketPath: string, containerId: string) =>
  callAttachApi<{ containerId: string; detached: boolean }>(socketPath, 'POST', '/v1/detach', { containerId });
