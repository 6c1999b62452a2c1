/**
 * The DNS daemon's last-known-good state on disk.
 *
 * Owns: one JSON file holding the model the daemon serves, its socket bindings and upstreams,
 * written atomically (temp file + rename) before each change is applied, so a restarted or
 * successor daemon serves the same answers even while the API and the agent are both down.
 * Never holds secrets: the model is plain, public-to-the-host data.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { NetworkModel } from '../../protocol/model.ts';
import type { Upstream } from './resolv-conf.ts';
import type { Binding } from './server.ts';

export interface DnsState {
  networks: NetworkModel[];
  bindings: [string, Binding][];
  upstreams?: Upstream[];
}

/** Reads `path`; a missing or unreadable file is an empty state, never an error. */
export async function readState(path: string): Promise<DnsState> {
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as Partial<DnsState>;
    return { networks: Array.isArray(s.networks) ? s.networks : [], bindings: Array.isArray(s.bindings) ? s.bindings : [], upstreams: s.upstreams };
  } catch {
    return { networks: [], bindings: [] };
  }
}

/** Writes `state` to `path` atomically: readers see the old file or the new one, never half. */
export async function writeState(path: string, state: DnsState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
  await rename(tmp, path);
}
