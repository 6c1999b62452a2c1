/**
 * Incremental changes to the DNS daemon's model: what differs between two host models, as data.
 *
 * Owns: the `DnsPatch` shape the agent sends instead of the whole model on every delta, computing
 * it (`diffNetworks`) and applying it (`applyPatch`). A container that changed travels alone; a
 * network whose own attributes changed (applications, dnsTtl, downHosts, cidr, …) travels whole,
 * because such a change can touch every name of it. The daemon still re-encodes only the names
 * whose records changed (fast-path.ts updateFastTable); a new TTL is written into the prebuilt
 * replies in place (retime.ts). Pure: no sockets, no clock. Order is not part
 * of the model (zones sort what they answer), so applying a patch may order containers and
 * networks differently from the model it was computed against, never differently in content.
 */
import type { ContainerModel, NetworkModel } from '../../protocol/model.ts';

/** The container-level changes of one network the daemon already holds. */
export interface NetworkPatch {
  id: string;
  upsert: ContainerModel[]; // added or changed, whole
  remove: string[]; // container ids
}

/** Everything that changed between two models, by network. */
export interface DnsPatch {
  put: NetworkModel[]; // networks added, or replaced whole because a network-level attribute changed
  patch: NetworkPatch[];
  remove: string[]; // network ids
}

/** Why the daemon refused a patch: the agent then sends the whole model (setNetworks). */
export type DnsPatchCode = 'DNS_PATCH_STALE' | 'DNS_PATCH_UNKNOWN_NETWORK' | 'DNS_PATCH_UNKNOWN_CONTAINER';

/** A patch that does not fit the model it would apply to; `code` says why. */
export class DnsPatchError extends Error {
  readonly code: DnsPatchCode;
  constructor(code: DnsPatchCode, message: string) {
    super(message);
    this.name = 'DnsPatchError';
    this.code = code;
  }
}

/**
 * What changed from `prev` to `next`, or null when nothing did. Networks are matched by id and
 * containers by id; a network-level difference puts the network whole, otherwise only the
 * containers that differ (in any field) are upserted and the missing ones removed.
 */
export function diffNetworks(prev: readonly NetworkModel[], next: readonly NetworkModel[]): DnsPatch | null {
  const before = new Map(prev.map((n) => [n.id, n]));
  const patch: DnsPatch = { put: [], patch: [], remove: [] };
  for (const network of next) {
    const old = before.get(network.id);
    before.delete(network.id);
    if (old === network) continue;
    if (!old || !sameAttributes(old, network)) {
      patch.put.push(network);
      continue;
    }
    const changes = diffContainers(old.containers, network.containers);
    if (changes.upsert.length || changes.remove.length) patch.patch.push({ id: network.id, ...changes });
  }
  patch.remove = [...before.keys()];
  return patch.put.length || patch.patch.length || patch.remove.length ? patch : null;
}

/**
 * Applies `patch` to `networks` and returns the new list; the input is not modified. Throws a
 * DnsPatchError, applying nothing, when the patch names a network or container `networks` lacks:
 * it was computed against another model.
 */
export function applyPatch(networks: readonly NetworkModel[], patch: DnsPatch): NetworkModel[] {
  const byId = new Map(networks.map((n) => [n.id, n]));
  for (const id of patch.remove) if (!byId.has(id)) throw new DnsPatchError('DNS_PATCH_UNKNOWN_NETWORK', `cannot remove network ${id}: not held`);
  const patched = new Map<string, NetworkModel>();
  for (const p of patch.patch) {
    const network = byId.get(p.id);
    if (!network) throw new DnsPatchError('DNS_PATCH_UNKNOWN_NETWORK', `cannot patch network ${p.id}: not held`);
    patched.set(p.id, patchContainers(network, p));
  }
  const put = new Map(patch.put.map((n) => [n.id, n]));
  const removed = new Set(patch.remove);
  const out: NetworkModel[] = [];
  for (const n of networks) {
    if (removed.has(n.id)) continue;
    out.push(put.get(n.id) ?? patched.get(n.id) ?? n);
    put.delete(n.id);
  }
  out.push(...put.values());
  return out;
}

/** The ids of the networks whose zones `patch` changes. */
export function touchedNetworks(patch: DnsPatch): Set<string> {
  return new Set([...patch.put.map((n) => n.id), ...patch.patch.map((p) => p.id), ...patch.remove]);
}

function patchContainers(network: NetworkModel, p: NetworkPatch): NetworkModel {
  const ids = new Set(network.containers.map((c) => c.id));
  for (const id of p.remove)
    if (!ids.has(id)) throw new DnsPatchError('DNS_PATCH_UNKNOWN_CONTAINER', `cannot remove container ${id} of ${network.id}: not held`);
  const upsert = new Map(p.upsert.map((c) => [c.id, c]));
  const removed = new Set(p.remove);
  const containers: ContainerModel[] = [];
  for (const c of network.containers) {
    if (removed.has(c.id)) continue;
    containers.push(upsert.get(c.id) ?? c);
    upsert.delete(c.id);
  }
  containers.push(...upsert.values());
  return { ...network, containers };
}

function diffContainers(prev: readonly ContainerModel[], next: readonly ContainerModel[]): Omit<NetworkPatch, 'id'> {
  const before = new Map(prev.map((c) => [c.id, c]));
  const upsert: ContainerModel[] = [];
  for (const c of next) {
    const old = before.get(c.id);
    before.delete(c.id);
    if (!old || !shallowEqual(old, c)) upsert.push(c);
  }
  return { upsert, remove: [...before.keys()] };
}

/** Every field but `containers` equal. Generic over the keys, so a field added later counts too. */
function sameAttributes(a: NetworkModel, b: NetworkModel): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('containers');
  keys.delete('policy'); // DNS never reads a network's policy: a policy write sends the daemon nothing (docs/policies.md#data-plane)
  for (const k of keys) {
    const x = (a as unknown as Record<string, unknown>)[k];
    const y = (b as unknown as Record<string, unknown>)[k];
    if (x !== y && JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

function shallowEqual(a: object, b: object): boolean {
  if (a === b) return true;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (x[k] !== y[k] && JSON.stringify(x[k]) !== JSON.stringify(y[k])) return false;
  return true;
}
