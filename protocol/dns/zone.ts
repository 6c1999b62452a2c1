/**
 * Per-network zone indexes for `private-network.internal.` (docs/architecture.md §3.2).
 *
 * Owns: turning one NetworkModel into the set of names that exist in that network's view and the
 * records each owns (ZoneRecord: A today). Pure and runtime-neutral: the agent's DNS server and
 * the API's `resolve` query both build it. It must never mix networks — a zone holds only its own
 * network's names, so another network's names are simply absent and answer NXDOMAIN exactly like
 * names that never existed (docs/architecture.md §3.3, DNS views).
 *
 * Which names exist (RFC 8020: NXDOMAIN means "nothing here or below"):
 * - the apex `private-network.internal` and this network's `<pn>` node;
 * - `<app>.<pn>` for every application the model knows (A = RUNNING containers of its default type);
 * - `<type>.<app>.<pn>` for the default type and every type with a container in any state, so a type
 *   scaled to zero or still PENDING is NODATA, never an NXDOMAIN that would hide later names below;
 * - `<n>.<type>.<app>.<pn>` only while that container is RUNNING and its host is not DOWN — DRAINING and PENDING containers
 *   are not in DNS at all.
 * Service discovery (issue 19, docs/dns.md "Names"):
 * - `_<port>._<proto>.<type>.<app>.<pn>` for each declared port of a type (SRV, one per RUNNING
 *   container), and `_<proto>.<type>.<app>.<pn>` as its empty non-terminal;
 * - `_instances.<app>.<pn>` (TXT, one per RUNNING container) and `_apps.<pn>` (TXT, one per app);
 * - `<alias>.<pn>` for each alias: the A records of its target; an alias never shadows an app;
 * - `d.c.b.a.in-addr.arpa` (PTR → the container's numbered name) for each RUNNING container.
 * Dual-stack (issue 21, docs/dns.md "IPv6"), when the network has IPv6 (its switch is ON):
 * - an AAAA record beside every A record (a container's, its type's, its app's, an alias's), holding
 *   the container's derived v6 address (containerIpv6); with the switch OFF a name has no AAAA (NODATA);
 * - `<32 nibbles>.ip6.arpa` (PTR → the numbered name) for each RUNNING container.
 */
import { type Cidr, parseCidr } from '../addressing/ipv4.ts';
import { type Cidr6, containerIpv6, parseCidr6 } from '../addressing/ipv6.ts';
import type { ContainerModel, NetworkModel } from '../model.ts';
import type { ZoneRecord } from './records.ts';
import { ptrName, reverseApexOf } from './reverse.ts';
import { ptrName6, reverseApex6Of } from './reverse6.ts';

export const ZONE_APEX = 'private-network.internal';

/** SOA fields shared by every view; only the TTL and negative TTL follow the network's dnsTtl. */
export interface ZoneSoa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** One network's view of the zone. Names are lower-case, without the trailing dot. */
export interface Zone {
  networkId: string;
  ttl: number;
  soa: ZoneSoa;
  /** Every existing name → its records (empty for empty non-terminals and NODATA names). */
  names: ReadonlyMap<string, readonly ZoneRecord[]>;
  /** The network's CIDR and the reverse zone holding it (`240.10.in-addr.arpa`); null if the CIDR does not parse. */
  cidr: Cidr | null;
  reverseApex: string | null;
  /** The network's IPv6 /64 and its reverse zone (`<16 nibbles>.ip6.arpa`); null when the network has no IPv6. */
  cidr6: Cidr6 | null;
  reverseApex6: string | null;
}

/** A name as zones key it: lower-case, without the trailing dot. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** True when `name` (lower-case, no trailing dot) is the apex or below it. */
export function inZone(name: string): boolean {
  return name === ZONE_APEX || name.endsWith('.' + ZONE_APEX);
}

/**
 * Builds the zone of one network from the host model. Records of several containers under one name
 * are ordered by container number, then IP, so answers are stable between rebuilds.
 */
export function buildZone(network: NetworkModel): Zone {
  const names = new Map<string, ZoneRecord[]>();
  const ensure = (name: string): ZoneRecord[] => {
    let list = names.get(name);
    if (!list) names.set(name, (list = []));
    return list;
  };
  const pn = `${network.id}.${ZONE_APEX}`.toLowerCase();
  ensure(ZONE_APEX);
  ensure(pn);

  const defaults = new Map<string, string>();
  for (const app of network.applications) defaults.set(app.id.toLowerCase(), app.defaultProcessType.toLowerCase());
  // A container of an app missing from the list still names its app (the model may be mid-delta).
  for (const c of network.containers) {
    const app = c.applicationId.toLowerCase();
    if (!defaults.has(app)) defaults.set(app, 'web');
  }
  for (const [app, type] of defaults) {
    ensure(`${app}.${pn}`);
    ensure(`${type}.${app}.${pn}`);
  }

  // A container answers while RUNNING on a host the API does not hold DOWN (architecture §8.4).
  const down = new Set(network.downHosts ?? []);
  const running = network.containers
    .filter((c) => c.state === 'RUNNING' && !down.has(c.hostId))
    .sort((a, b) => a.number - b.number || a.ip.localeCompare(b.ip));
  for (const c of network.containers) ensure(`${c.processType}.${c.applicationId}.${pn}`.toLowerCase());
  const byType = new Map<string, ContainerModel[]>(); // `<type>.<app>.<pn>` → its RUNNING containers
  for (const c of running) {
    const app = c.applicationId.toLowerCase();
    const type = c.processType.toLowerCase();
    const typeName = `${type}.${app}.${pn}`;
    const ipv6 = containerIpv6(network, c.ip);
    const own: ZoneRecord[] = [{ type: 'A', address: c.ip }, ...(ipv6 ? [{ type: 'AAAA' as const, address: ipv6 }] : [])];
    ensure(typeName).push(...own);
    ensure(`${c.number}.${typeName}`).push(...own);
    if (defaults.get(app) === type) ensure(`${app}.${pn}`).push(...own);
    ensure(ptrName(c.ip)).push({ type: 'PTR', target: `${c.number}.${typeName}` });
    if (ipv6) ensure(ptrName6(ipv6)).push({ type: 'PTR', target: `${c.number}.${typeName}` });
    byType.set(typeName, [...(byType.get(typeName) ?? []), c]);
  }

  // SRV: one record per RUNNING container of the type, in container order, targets its numbered name.
  for (const p of network.ports ?? []) {
    const typeName = `${p.processType}.${p.applicationId}.${pn}`.toLowerCase();
    const proto = `_${p.protocol.toLowerCase()}.${typeName}`;
    ensure(typeName);
    ensure(proto);
    const srv = ensure(`_${p.name.toLowerCase()}.${proto}`);
    for (const c of byType.get(typeName) ?? []) srv.push({ type: 'SRV', priority: 0, weight: 0, port: p.port, target: `${c.number}.${typeName}` });
  }

  // TXT enumeration: `_instances.<app>` per app, `_apps` for the network (docs/dns.md, "Names").
  ensure(`_apps.${pn}`).push(...[...defaults].map(([app, type]): ZoneRecord => ({ type: 'TXT', data: [`id=${app} default=${type}`] })));
  for (const app of defaults.keys()) ensure(`_instances.${app}.${pn}`);
  const byApp = [...running].sort((a, b) => a.processType.localeCompare(b.processType) || a.number - b.number);
  for (const c of byApp) {
    const app = c.applicationId.toLowerCase();
    const data = `type=${c.processType.toLowerCase()} n=${c.number} ip=${c.ip} host=${c.hostId}`;
    ensure(`_instances.${app}.${pn}`).push({ type: 'TXT', data: [data] });
  }

  // Aliases: the target's A and AAAA records under `<alias>.<pn>`, unless the name is taken (an app id wins).
  for (const alias of network.aliases ?? []) {
    const name = `${alias.name}.${pn}`.toLowerCase();
    if (names.has(name)) continue;
    const app = alias.applicationId.toLowerCase();
    const type = (alias.processType ?? defaults.get(app) ?? 'web').toLowerCase();
    ensure(name).push(...(names.get(`${type}.${app}.${pn}`) ?? []).filter((r) => r.type === 'A' || r.type === 'AAAA'));
  }

  const cidr = parseCidr(network.cidr);
  const cidr6 = network.ipv6 ? parseCidr6(network.ipv6.cidr) : null;
  const ttl = network.dnsTtl;
  return {
    networkId: network.id,
    ttl,
    soa: {
      mname: `ns.${ZONE_APEX}`,
      rname: `hostmaster.${ZONE_APEX}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      // The negative-caching TTL (RFC 2308): as short as positive answers, so a name that
      // appears when its container goes RUNNING is not hidden by a cached NXDOMAIN for long.
      minimum: ttl,
    },
    names,
    cidr,
    reverseApex: cidr ? reverseApexOf(cidr) : null,
    cidr6,
    reverseApex6: cidr6 ? reverseApex6Of(cidr6) : null,
  };
}
