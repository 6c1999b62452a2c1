/**
 * The host's one DNS server, serving every local network (docs/architecture.md §5.1).
 *
 * Owns: the per-network views (zone + prebuilt replies, swapped atomically by `setNetworks`, or for
 * the touched networks only by `patchNetworks`), the sockets of each network (the socket a query
 * arrives on names the network), forwarding of outside names, and the counters. It never creates namespaces, addresses or firewall rules — the
 * reconciler does, then asks for sockets with `listen`. It keeps answering from the last model it
 * was given: nothing here expires a view because the API went quiet.
 */
import type dgram from 'node:dgram';
import { buildZone, type Zone } from '../../protocol/dns/zone.ts';
import type { NetworkModel } from '../../protocol/model.ts';
import { buildFastTable, type FastTable, updateFastTable } from './fast-path.ts';
import { DEFAULT_FORWARDER, errorReply, Forwarder, type ForwarderOptions } from './forwarder.ts';
import { countRcode, emptyMetrics, type NetworkMetrics } from './metrics.ts';
import { bindInNamespace, bindLocal, namespaceIdentity, type BoundSockets } from './netns-bind.ts';
import { applyPatch, type DnsPatch } from './patch.ts';
import type { Upstream } from './resolv-conf.ts';
import { respond } from './respond.ts';
import { TCP_LIMIT, type Transport } from './slow-path.ts';
import { DEFAULT_TCP_LIMITS, serveTcp, type TcpLimits } from './tcp-server.ts';
import { useSyncLookup } from './sync-lookup.ts';
import { readPlainQuery, udpLimit } from './wire.ts';

export interface DnsServerOptions {
  upstreams?: Upstream[]; // default: none until setUpstreams (the caller reads resolv.conf)
  forwarder?: Partial<Omit<ForwarderOptions, 'upstreams'>>;
  tcp?: Partial<TcpLimits>;
  /** Where a network's sockets live: its sandbox namespace. Default `pn-<vni>`. */
  namespaceFor?: (network: NetworkModel) => string;
  port?: number; // default 53
}

/** Where to bind a network's sockets: inside a namespace, or (tests) in this process's own. */
export interface Binding {
  address: string;
  port: number;
  namespace?: string;
}

interface View {
  zone: Zone;
  fast: FastTable;
  network: NetworkModel;
  source?: string; // JSON of `network`, computed when setNetworks first compares it
}
interface Listener {
  sockets: BoundSockets;
  tcp: { close(): void };
  address: string;
  port: number;
  namespace?: string;
  nsId?: string;
}

/** One per host (inside the DNS daemon): every local network's views, sockets and counters. */
export class DnsServer {
  private views: ReadonlyMap<string, View> = new Map();
  private listeners = new Map<string, Listener>();
  private counters = new Map<string, NetworkMetrics>();
  private readonly forwarder: Forwarder;
  private readonly tcpLimits: TcpLimits;
  private networks: NetworkModel[] = [];
  private syncing: Promise<void> = Promise.resolve();

  private readonly opts: DnsServerOptions;

  constructor(opts: DnsServerOptions = {}) {
    this.opts = opts;
    this.forwarder = new Forwarder({ ...DEFAULT_FORWARDER, ...opts.forwarder, upstreams: opts.upstreams ?? [] });
    this.tcpLimits = { ...DEFAULT_TCP_LIMITS, ...opts.tcp };
  }

  /**
   * Replaces the model. Zones are rebuilt only for networks whose model changed, then swapped in
   * one assignment: a query sees either the old view or the new one, never a mix, and the next
   * query after this call returns sees the new one (a container going DRAINING leaves DNS at once).
   */
  setNetworks(networks: readonly NetworkModel[]): void {
    const next = new Map<string, View>();
    for (const network of networks) {
      const old = this.views.get(network.id);
      if (old && old.network === network) {
        next.set(network.id, old);
        continue;
      }
      const source = JSON.stringify(network);
      if (old && (old.source ??= JSON.stringify(old.network)) === source) {
        next.set(network.id, old);
        continue;
      }
      const zone = buildZone(network);
      next.set(network.id, { zone, fast: buildFastTable(zone), network, source });
    }
    this.views = next;
    this.networks = [...networks];
  }

  /**
   * Applies a change computed by diffNetworks against the model this server holds. Only the
   * touched networks' zones are rebuilt, and of their fast tables only the names whose records
   * changed are re-encoded; the result is the same as setNetworks(the patched model). Throws a
   * DnsPatchError, changing nothing, when the patch names a network or container not held.
   */
  patchNetworks(patch: DnsPatch): void {
    const networks = applyPatch(this.networks, patch);
    const byId = new Map(networks.map((n) => [n.id, n]));
    const next = new Map(this.views);
    for (const id of patch.remove) next.delete(id);
    for (const id of [...patch.put.map((n) => n.id), ...patch.patch.map((p) => p.id)]) {
      const network = byId.get(id);
      if (!network) continue;
      const zone = buildZone(network);
      const old = this.views.get(id);
      next.set(id, { zone, fast: old ? updateFastTable(old.zone, old.fast, zone) : buildFastTable(zone), network });
    }
    this.views = next;
    this.networks = networks;
  }

  /** The model served now. */
  model(): readonly NetworkModel[] {
    return this.networks;
  }

  /** Replaces the upstream resolvers used for names outside the zone. */
  setUpstreams(upstreams: Upstream[]): void {
    this.forwarder.setUpstreams(upstreams);
  }

  /**
   * Starts serving `networkId` on `binding` (UDP and TCP). With a namespace the sockets come from
   * the bind helper; without, they are bound here (tests, benchmarks). Replaces an existing listener
   * of the network only after the new one is bound, so there is no moment without a socket.
   */
  async listen(networkId: string, binding: Binding): Promise<{ address: string; port: number }> {
    // Read the namespace identity before binding: if it is recreated in between, the next sync
    // sees a mismatch and binds again, never the reverse.
    const nsId = binding.namespace ? namespaceIdentity(binding.namespace) : undefined;
    const sockets = binding.namespace
      ? await bindInNamespace(binding.namespace, binding.address, binding.port)
      : await bindLocal(binding.address, binding.port);
    return this.adopt(networkId, binding, sockets, nsId);
  }

  /**
   * Serves `networkId` on sockets bound elsewhere — by `listen`, or by a predecessor daemon that
   * handed them over (upgrade.ts). An existing listener of the network is closed afterwards.
   */
  adopt(key: string, binding: Binding, sockets: BoundSockets, nsId?: string): { address: string; port: number } {
    const networkId = networkOfListener(key);
    const port = sockets.udp.address().port;
    useSyncLookup(sockets.udp); // replies go to the IP a query came from: no tick per reply
    sockets.udp.on('message', (msg, rinfo) => this.onDatagram(networkId, sockets.udp, msg, rinfo));
    sockets.udp.on('error', () => undefined);
    const tcp = serveTcp(
      sockets.tcp,
      this.tcpLimits,
      (q) => this.handle(networkId, q, 'tcp'),
      (ok) => {
        const m = this.metricsOf(networkId);
        if (ok) m.tcpConnections++;
        else m.tcpRejected++;
      },
    );
    sockets.release?.(); // answer what arrived before our listeners were attached
    const old = this.listeners.get(key);
    this.listeners.set(key, { sockets, tcp, address: binding.address, port, namespace: binding.namespace, nsId });
    if (old) closeListener(old);
    return { address: binding.address, port };
  }

  /** Every listener's binding, sockets and namespace identity: what an upgrade hands over. */
  handles(): Map<string, { binding: Binding; sockets: BoundSockets; nsId?: string }> {
    return new Map(
      [...this.listeners].map(([id, l]) => [id, { binding: { address: l.address, port: l.port, namespace: l.namespace }, sockets: l.sockets, nsId: l.nsId }]),
    );
  }

  /** Stops serving `networkId`'s sockets (the network left this host). */
  unlisten(networkId: string): void {
    const l = this.listeners.get(networkId);
    if (!l) return;
    this.listeners.delete(networkId);
    closeListener(l);
  }

  /**
   * Level-triggered: makes the listeners match `bindings` — by default every network of the model on
   * its gateway in `namespaceFor(network)`. Listeners of other networks are closed. Returns one error
   * per network that could not be bound (e.g. its sandbox is not ready yet); call again next pass.
   */
  syncListeners(bindings: ReadonlyMap<string, Binding> = this.defaultBindings()): Promise<Map<string, Error>> {
    // One sync at a time: two overlapping passes would both bind a missing network.
    const run = this.syncing.then(() => this.syncNow(bindings));
    this.syncing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async syncNow(bindings: ReadonlyMap<string, Binding>): Promise<Map<string, Error>> {
    const errors = new Map<string, Error>();
    for (const id of [...this.listeners.keys()]) if (!bindings.has(id)) this.unlisten(id);
    await Promise.all(
      [...bindings].map(async ([id, b]) => {
        const have = this.listeners.get(id);
        const same = have && have.address === b.address && (have.port === b.port || b.port === 0) && have.namespace === b.namespace;
        if (same && (!b.namespace || namespaceIdentity(b.namespace) === have.nsId)) return;
        try {
          await this.listen(id, b);
        } catch (err) {
          errors.set(id, err as Error);
        }
      }),
    );
    return errors;
  }

  /** The bindings the model implies: each network's gateway, port 53, in its sandbox namespace. */
  defaultBindings(): Map<string, Binding> {
    return bindingsFor(this.networks, this.opts.namespaceFor, this.opts.port);
  }

  /** The current listeners, as bindings (what a successor must bind before taking over). */
  bindings(): Map<string, Binding> {
    return new Map([...this.listeners].map(([id, l]) => [id, { address: l.address, port: l.port, namespace: l.namespace }]));
  }

  /** Counters per network since start. */
  metrics(): Record<string, NetworkMetrics> {
    return Object.fromEntries([...this.counters].map(([id, m]) => [id, structuredClone(m)]));
  }

  /** Closes every socket and the forwarder. */
  close(): void {
    for (const id of [...this.listeners.keys()]) this.unlisten(id);
    this.forwarder.close();
  }

  /** Answers one query for `networkId`: a reply, or null to stay silent. */
  handle(networkId: string, msg: Buffer, transport: Transport): Buffer | null | Promise<Buffer | null> {
    const m = this.metricsOf(networkId);
    m.queries++;
    const view = this.views.get(networkId);
    const out = respond(msg, view?.zone, view?.fast, transport);
    if (out.kind === 'drop') {
      m.dropped++;
      return null;
    }
    if (out.kind === 'reply') {
      if (out.fast) m.fastPath++;
      if (out.bytes[2] & 0x02) m.truncated++;
      countRcode(m, out.rcode);
      return out.bytes;
    }
    m.forwarded++;
    const limit = transport === 'tcp' ? TCP_LIMIT : (readPlainQuery(msg)?.udpSize ?? udpLimit(undefined));
    return this.forwarder.forward(networkId, msg, limit).then(
      (r) => {
        if (r.outcome === 'failed') m.forwardFailed++;
        if (r.outcome === 'limited') m.rateLimited++;
        countRcode(m, r.bytes.length >= 4 ? r.bytes[3] & 0xf : 2);
        return r.bytes;
      },
      () => errorReply(msg, 2),
    );
  }

  private onDatagram(networkId: string, socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const reply = this.handle(networkId, msg, 'udp');
    if (!reply) return;
    if (Buffer.isBuffer(reply)) socket.send(reply, rinfo.port, rinfo.address);
    else
      reply.then(
        (r) => {
          if (r) socket.send(r, rinfo.port, rinfo.address);
        },
        () => undefined,
      );
  }

  private metricsOf(networkId: string): NetworkMetrics {
    let m = this.counters.get(networkId);
    if (!m) this.counters.set(networkId, (m = emptyMetrics()));
    return m;
  }
}

/**
 * A listener's key: the network id for its IPv4 gateway, the id + `#v6` for its IPv6 gateway
 * (dual-stack, docs/agent-dataplane.md "IPv6"). Both serve the same network's view and counters.
 */
export const V6_LISTENER = '#v6';

/** The network a listener key serves. */
export function networkOfListener(key: string): string {
  return key.endsWith(V6_LISTENER) ? key.slice(0, -V6_LISTENER.length) : key;
}

/**
 * Where each network's DNS sockets belong: its gateway address, `port` (53), inside its sandbox
 * namespace (`namespaceFor`, default `pn-<vni>`) — and, when its ipv6 is ON, its v6 gateway too
 * (key `<id>#v6`). The agent passes this to the daemon's syncListeners; it is a function of the
 * model, so calling it every pass is level-triggered.
 */
export function bindingsFor(
  networks: readonly NetworkModel[],
  namespaceFor: (n: NetworkModel) => string = (n) => `pn-${n.vni}`,
  port = 53,
): Map<string, Binding> {
  return new Map(
    networks.flatMap((n): [string, Binding][] => [
      [n.id, { address: n.gateway, port, namespace: namespaceFor(n) }],
      ...(n.ipv6 ? [[`${n.id}${V6_LISTENER}`, { address: n.ipv6.gateway, port, namespace: namespaceFor(n) }] as [string, Binding]] : []),
    ]),
  );
}

function closeListener(l: Listener): void {
  l.tcp.close();
  l.sockets.tcp.close();
  try {
    l.sockets.udp.close();
  } catch {
    /* already closed */
  }
}
