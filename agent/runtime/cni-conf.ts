/**
 * The CNI network configurations (conflists) the agent writes for runtimes, one per Weft network of
 * this host, when started with `--cni-conf-dir` (docs/cni.md "Installation").
 *
 * Owns: files named `weft-<network id>.conflist` in that directory whose plugin is `weft-cni` with this
 * agent's attach socket. Never: any other file there (the runtime's own networks, an operator's
 * hand-written chained conflists, another agent's files on a shared machine).
 * A network appears in the host model once a container of it is scheduled on this host, so its
 * conflist is written before the runtime starts that container (the scheduler allocates first),
 * and removed when the host's last container of it goes.
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkModel } from '../../protocol/model.ts';

export const CNI_PLUGIN_TYPE = 'weft-cni';

/**
 * The conflist of one network. `cniVersion` 1.0.0 keeps runtimes with an older libcni (podman 4.3,
 * Debian 12) working; `cniVersions` lets a runtime with libcni ≥ 1.2 choose 1.1.0 (STATUS, GC).
 */
export function conflistFor(networkId: string, socket: string): object {
  return {
    cniVersion: '1.0.0',
    cniVersions: ['0.4.0', '1.0.0', '1.1.0'],
    name: networkId,
    plugins: [{ type: CNI_PLUGIN_TYPE, network: networkId, socket, capabilities: { ips: true, mac: true } }],
  };
}

/** The file name of a network's conflist. */
export const conflistFile = (networkId: string) => `weft-${networkId}.conflist`;

/**
 * Makes `dir` hold exactly one conflist per network in `networks` among the files this agent owns:
 * writes missing or different ones (atomically: temp file + rename), removes its stale ones.
 * Returns what changed, for the agent's log.
 */
export function syncCniConfigs(dir: string, networks: readonly Pick<NetworkModel, 'id'>[], socket: string): { written: string[]; removed: string[] } {
  const want = new Map(networks.map((n) => [conflistFile(n.id), `${JSON.stringify(conflistFor(n.id, socket), null, 2)}\n`]));
  const written: string[] = [];
  const removed: string[] = [];
  for (const [file, text] of want) {
    const path = join(dir, file);
    if (readOrNull(path) === text) continue;
    writeFileSync(`${path}.tmp`, text, { mode: 0o644 });
    renameSync(`${path}.tmp`, path);
    written.push(file);
  }
  for (const file of readdirSync(dir)) {
    if (want.has(file) || !/^weft-.+\.conflist$/.test(file) || !ownedBy(join(dir, file), socket)) continue;
    rmSync(join(dir, file), { force: true });
    removed.push(file);
  }
  return { written, removed };
}

/** True when the conflist at `path` is one this agent wrote (weft-cni with its socket). */
function ownedBy(path: string, socket: string): boolean {
  try {
    const conf = JSON.parse(readFileSync(path, 'utf8')) as { plugins?: { type?: string; socket?: string }[] };
    return conf.plugins?.length === 1 && conf.plugins[0].type === CNI_PLUGIN_TYPE && conf.plugins[0].socket === socket;
  } catch {
    return false;
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
