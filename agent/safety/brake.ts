/**
 * Brake v2 (docs/architecture.md §8.2): one decision, on the host model, for everything derived
 * from it — kernel objects, the DNS views and the last-known-good model on disk.
 *
 * Removals come in two kinds:
 * - explicit: a delta says so (`container.removed`, `network.left`, `peer.removed`); it applies at once;
 * - implied: a full snapshot (first list, relist, RESYNC) lacks something the host holds.
 * Implied removals of more than `ratio` of what the host holds (when it holds at least
 * `minObjects`), or a near-empty snapshot (whatever the host holds), are held: the model the host serves keeps them, while additions and updates of the
 * snapshot apply. A held set is released
 * - by an operator (`weft-agent confirm`),
 * - object by object, when the API states the removal explicitly (or lists the object again),
 * - by time (`confirmAfterMs` of continuous holding) — unless the snapshot is near-empty (fewer than
 *   `nearEmptyShare` of what the host holds): an empty database is never released by time alone.
 *
 * Objects counted: networks, containers (all, local and remote) and WireGuard peers.
 * Pure: no clock, no I/O.
 */
import type { ApplicationModel, ContainerModel, HostConfig, NetworkModel, PeerModel } from '../../protocol/model.ts';
import { numericOrder } from '../../protocol/order.ts';

export interface BrakeOptions {
  ratio: number;
  minObjects: number;
  nearEmptyShare: number;
  confirmAfterMs: number;
}

export const DEFAULT_BRAKE: BrakeOptions = { ratio: 0.5, minObjects: 10, nearEmptyShare: 0.1, confirmAfterMs: 60_000 };

/** What the host keeps serving although the API no longer lists it. */
export interface HeldObjects {
  networks: NetworkModel[]; // whole networks the snapshot lacks
  applications: { networkId: string; application: ApplicationModel }[];
  containers: { networkId: string; container: ContainerModel }[]; // in networks the snapshot still has
  peers: PeerModel[];
}

export interface BrakeHold {
  held: HeldObjects;
  objectsHeld: number;
  hostObjects: number; // what the host held when the brake engaged
  since: number; // ms since the epoch
  nearEmpty: boolean;
  reason: string;
}

export const NOTHING_HELD: HeldObjects = { networks: [], applications: [], containers: [], peers: [] };

/** Networks + containers + peers of a model. */
export function countObjects(m: Pick<HostConfig, 'networks' | 'peers'>): number {
  return m.networks.reduce((s, n) => s + 1 + n.containers.length, 0) + m.peers.length;
}

/** Objects counted in a held set (a held network counts with its containers). */
export function countHeld(h: HeldObjects): number {
  return h.networks.reduce((s, n) => s + 1 + n.containers.length, 0) + h.containers.length + h.peers.length;
}

/** What `from` holds that `snapshot` lacks. */
export function impliedRemovals(from: HostConfig, snapshot: HostConfig): HeldObjects {
  const snapNets = new Map(snapshot.networks.map((n) => [n.id, n]));
  const out: HeldObjects = { networks: [], applications: [], containers: [], peers: [] };
  for (const n of from.networks) {
    const now = snapNets.get(n.id);
    if (!now) {
      out.networks.push(n);
      continue;
    }
    const apps = new Set(now.applications.map((a) => a.id));
    const ctrs = new Set(now.containers.map((c) => c.id));
    for (const a of n.applications) if (!apps.has(a.id)) out.applications.push({ networkId: n.id, application: a });
    for (const c of n.containers) if (!ctrs.has(c.id)) out.containers.push({ networkId: n.id, container: c });
  }
  const peers = new Set(snapshot.peers.map((p) => p.hostId));
  out.peers = from.peers.filter((p) => !peers.has(p.hostId));
  return out;
}

/** The model the host serves: `incoming` plus what is held (held objects the API lists again are its own). */
export function overlay(incoming: HostConfig, held: HeldObjects): HostConfig {
  if (isEmpty(held)) return incoming;
  const byIp = (a: ContainerModel, b: ContainerModel) => numericOrder(a.ip, b.ip);
  const networks = incoming.networks.map((n) => {
    const apps = held.applications.filter((a) => a.networkId === n.id && !n.applications.some((x) => x.id === a.application.id));
    const ctrs = held.containers.filter((c) => c.networkId === n.id && !n.containers.some((x) => x.id === c.container.id));
    if (!apps.length && !ctrs.length) return n;
    return {
      ...n,
      applications: [...n.applications, ...apps.map((a) => a.application)].sort((a, b) => a.id.localeCompare(b.id)),
      containers: [...n.containers, ...ctrs.map((c) => c.container)].sort(byIp),
    };
  });
  for (const n of held.networks) if (!networks.some((x) => x.id === n.id)) networks.push(n);
  const peers = [...incoming.peers, ...held.peers.filter((p) => !incoming.peers.some((x) => x.hostId === p.hostId))];
  return {
    ...incoming,
    networks: networks.sort((a, b) => a.id.localeCompare(b.id)),
    peers: peers.sort((a, b) => a.hostId.localeCompare(b.hostId)),
  };
}

export function isEmpty(h: HeldObjects): boolean {
  return !h.networks.length && !h.applications.length && !h.containers.length && !h.peers.length;
}

/**
 * A full snapshot arrives. `serving` is the model the host serves now (with anything already held),
 * `current` the hold in force. Returns the hold after this snapshot (null: apply the snapshot as is).
 */
export function onSnapshot(
  serving: HostConfig | null,
  current: BrakeHold | null,
  snapshot: HostConfig,
  now: number,
  o: BrakeOptions = DEFAULT_BRAKE,
): BrakeHold | null {
  if (!serving) return null; // nothing to protect yet
  const held = impliedRemovals(serving, snapshot);
  const objectsHeld = countHeld(held);
  const hostObjects = countObjects(serving);
  if (objectsHeld === 0) return null;
  // Near-empty holds at any size: "the API lost my world" is never normal churn. The ratio holds
  // from `minObjects` up, so that small hosts' ordinary relists are not braked.
  const nearEmpty = countObjects(snapshot) < o.nearEmptyShare * hostObjects;
  const big = nearEmpty || (hostObjects >= o.minObjects && objectsHeld / hostObjects > o.ratio);
  // A hold in force stays in force for what the snapshot still lacks, even when that is now little.
  if (!big && !current) return null;
  const since = current?.since ?? now;
  const base = current?.hostObjects ?? hostObjects;
  const reason = nearEmpty
    ? `the API lists ${countObjects(snapshot)} of the ${base} objects this host holds (near-empty): held until confirmed`
    : `the API's snapshot would remove ${objectsHeld} of ${base} objects (> ${Math.round(o.ratio * 100)}%)`;
  return { held, objectsHeld, hostObjects: base, since, nearEmpty: current?.nearEmpty || nearEmpty, reason };
}

/** A delta arrived: an explicit removal of a held object releases that object. */
export function onExplicitRemoval(current: BrakeHold | null, removal: ExplicitRemoval): BrakeHold | null {
  if (!current) return null;
  const h = current.held;
  const held: HeldObjects =
    removal.kind === 'network'
      ? { ...h, networks: h.networks.filter((n) => n.id !== removal.id), containers: h.containers.filter((c) => c.networkId !== removal.id) }
      : removal.kind === 'container'
        ? {
            ...h,
            containers: h.containers.filter((c) => c.container.id !== removal.id),
            networks: h.networks.map((n) =>
              n.containers.some((c) => c.id === removal.id) ? { ...n, containers: n.containers.filter((c) => c.id !== removal.id) } : n,
            ),
          }
        : removal.kind === 'application'
          ? { ...h, applications: h.applications.filter((a) => a.application.id !== removal.id) }
          : { ...h, peers: h.peers.filter((p) => p.hostId !== removal.id) };
  return settle(current, held);
}

/** The held set after the API listed (some of) it again, through deltas: objects it has are no longer held. */
export function onIncoming(current: BrakeHold | null, incoming: HostConfig): BrakeHold | null {
  if (!current) return null;
  const h = current.held;
  const has = new Map(incoming.networks.map((n) => [n.id, n]));
  const held: HeldObjects = {
    networks: h.networks.filter((n) => !has.has(n.id)),
    applications: h.applications.filter((a) => !has.get(a.networkId)?.applications.some((x) => x.id === a.application.id)),
    containers: h.containers.filter((c) => !has.get(c.networkId)?.containers.some((x) => x.id === c.container.id)),
    peers: h.peers.filter((p) => !incoming.peers.some((x) => x.hostId === p.hostId)),
  };
  return settle(current, held);
}

/** Whether time alone releases the hold now. */
export function releasedByTime(current: BrakeHold | null, now: number, o: BrakeOptions = DEFAULT_BRAKE): boolean {
  return !!current && !current.nearEmpty && now >= current.since + o.confirmAfterMs;
}

export type ExplicitRemoval = { kind: 'network' | 'container' | 'application' | 'peer'; id: string };

function settle(current: BrakeHold, held: HeldObjects): BrakeHold | null {
  if (isEmpty(held)) return null;
  return { ...current, held, objectsHeld: countHeld(held) };
}
