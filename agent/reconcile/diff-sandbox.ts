/**
 * Sandbox diff: one (host, network) namespace — bridge, VXLAN, container veths, addresses,
 * FDB and neighbour entries, nftables tables.
 *
 * Ownership: a link is ours when its name has our prefix AND its ifalias is a Weft marker; only
 * those are changed or deleted. FDB/neighbour entries are ours when they sit on one of our links and
 * are of the kinds we create (self+dst, master+static, PERMANENT neighbour); the kernel's own
 * entries (port addresses, multicast) are never touched.
 * A link whose fixed properties differ (kind, VXLAN id/local/port/flags) is deleted and re-created;
 * its FDB/neighbour entries die with it, so they are planned as if absent.
 */
import { isOurAlias } from '../config-names';
import { V6_ALIAS_SUFFIX } from '../desired/compute';
import type { DesiredSandbox } from '../desired/types';
import type { ObservedLink, ObservedSandbox } from '../observed/types';
import { diffTables } from './diff-tables';
import { FLOOD_MAC, type Op } from './ops';

/** Ops that turn the observed sandbox (undefined: namespace missing) into the desired one. */
export function diffSandbox(d: DesiredSandbox, o: ObservedSandbox | undefined, isOurIfname: (n: string) => boolean): Op[] {
  const { ns, vni, mtu } = d;
  const ops: Op[] = [];
  if (!o) ops.push({ kind: 'netns.add', ns, vni });
  const links = new Map((o?.links ?? []).map((l) => [l.name, l]));
  const fresh = new Set<string>(); // links (re)created in this pass: observed entries on them are void

  // Bridge first: the VXLAN and veths become its ports.
  const ob = links.get(d.bridge.name);
  if (ob?.kind !== 'bridge') {
    if (ob) ops.push({ kind: 'link.del', ns, vni, name: ob.name, why: 'incompatible' });
    ops.push({ kind: 'bridge.add', ns, vni, name: d.bridge.name, mac: d.bridge.mac, mtu, alias: d.bridge.alias });
    fresh.add(d.bridge.name);
  } else pushSet(ops, ns, vni, ob, { mtu, alias: d.bridge.alias, mac: d.bridge.mac, bridge: true });
  const bridgeAddrs = fresh.has(d.bridge.name) ? [] : (ob?.addrs ?? []);
  if (!bridgeAddrs.includes(d.bridge.address)) ops.push({ kind: 'addr.add', ns, vni, dev: d.bridge.name, cidr: d.bridge.address });
  // IPv6 is on in the sandbox exactly when the bridge holds a v6 address: the v6 gateway when ON;
  // none when OFF (disabling IPv6 removes them all). The sysctls are idempotent, so a repair re-sends them.
  const bridgeAddrs6 = fresh.has(d.bridge.name) ? [] : (ob?.addrs6 ?? []);
  if (d.ipv6 && !bridgeAddrs6.includes(d.ipv6.address)) {
    ops.push({ kind: 'sandbox.ipv6', ns, vni, on: true });
    ops.push({ kind: 'addr.add', ns, vni, dev: d.bridge.name, cidr: d.ipv6.address });
  }
  if (!d.ipv6 && bridgeAddrs6.length) ops.push({ kind: 'sandbox.ipv6', ns, vni, on: false });

  const v = d.vxlan;
  const ov = links.get(v.name);
  const vxOk = ov?.kind === 'vxlan' && ov.vxlan?.id === vni && ov.vxlan.local === v.local && ov.vxlan.port === v.port && !ov.vxlan.learning && ov.vxlan.proxy;
  if (!ov || !vxOk) {
    if (ov) ops.push({ kind: 'link.del', ns, vni, name: ov.name, why: 'incompatible' });
    ops.push({ kind: 'vxlan.add', ns, vni, name: v.name, id: vni, local: v.local, port: v.port, mtu, alias: v.alias, bridge: d.bridge.name });
    fresh.add(v.name);
  } else pushSet(ops, ns, vni, ov, { mtu, alias: v.alias, master: d.bridge.name, port: true }, fresh.has(d.bridge.name));

  for (const c of d.locals) {
    const ol = links.get(c.veth);
    if (ol?.kind !== 'veth') {
      if (ol) ops.push({ kind: 'link.del', ns, vni, name: ol.name, why: 'incompatible' });
      ops.push({ kind: 'veth.add', ns, vni, local: c, mtu, bridge: d.bridge.name });
      fresh.add(c.veth);
    } else {
      pushSet(ops, ns, vni, ol, { mtu, alias: c.alias, master: d.bridge.name, port: true }, fresh.has(d.bridge.name));
      // The container end is never observed: its veth's alias says which stack it was configured for.
      // When the network's ipv6 switch flipped, the end is switched in place (the alias follows in link.set).
      if (isV6(ol.alias) !== isV6(c.alias)) ops.push({ kind: 'ctr.ipv6', ns, vni, local: c, on: isV6(c.alias) });
    }
  }

  // Add before delete: every add/update above, every removal below.
  const fdb = (o?.fdb ?? []).filter((e) => !fresh.has(e.dev));
  const neigh = (o?.neigh ?? []).filter((n) => !fresh.has(n.dev));
  // Observed entries as keys, so a pass over N containers costs O(N), not O(N²).
  const selfFdb = new Set(fdb.filter((e) => e.self).map((e) => `${e.dev}|${e.mac}|${e.dst}`));
  const staticFdb = new Set(fdb.filter((e) => e.master && e.state === 'static').map((e) => `${e.dev}|${e.mac}`));
  const permanentNeigh = new Set(neigh.filter((n) => n.permanent).map((n) => `${n.dev}|${n.ip}|${n.mac}`));
  for (const c of d.locals) {
    if (!staticFdb.has(`${c.veth}|${c.mac}`)) ops.push({ kind: 'fdb.add', ns, vni, dev: c.veth, mac: c.mac, dst: null });
  }
  for (const r of d.remotes) {
    if (!selfFdb.has(`${v.name}|${r.mac}|${r.dst}`)) ops.push({ kind: 'fdb.add', ns, vni, dev: v.name, mac: r.mac, dst: r.dst });
    if (!staticFdb.has(`${v.name}|${r.mac}`)) ops.push({ kind: 'fdb.add', ns, vni, dev: v.name, mac: r.mac, dst: null });
    if (!permanentNeigh.has(`${v.name}|${r.ip}|${r.mac}`)) ops.push({ kind: 'neigh.add', ns, vni, dev: v.name, ip: r.ip, mac: r.mac });
    // v6: the VXLAN's proxy answers Neighbour Solicitations from these entries, as it answers ARP
    if (r.ip6 && !permanentNeigh.has(`${v.name}|${r.ip6}|${r.mac}`)) ops.push({ kind: 'neigh.add', ns, vni, dev: v.name, ip: r.ip6, mac: r.mac });
  }
  for (const dst of d.flood) {
    if (!selfFdb.has(`${v.name}|${FLOOD_MAC}|${dst}`)) ops.push({ kind: 'fdb.add', ns, vni, dev: v.name, mac: FLOOD_MAC, dst });
  }
  ops.push(...diffTables(ns, vni, d.tables, o?.tables ?? []));

  const remoteMacs = new Set(d.remotes.map((r) => r.mac));
  const remoteIps = new Set(d.remotes.flatMap((r) => (r.ip6 ? [r.ip, r.ip6] : [r.ip])));
  const localMac = new Map(d.locals.map((c) => [c.veth, c.mac]));
  const flood = new Set(d.flood);
  for (const e of fdb) {
    if (e.dev === v.name && e.self && e.dst && e.mac === FLOOD_MAC) {
      if (!flood.has(e.dst)) ops.push({ kind: 'fdb.del', ns, vni, dev: e.dev, mac: e.mac, self: true, dst: e.dst });
    } else if (e.dev === v.name && e.self && e.dst && !remoteMacs.has(e.mac))
      ops.push({ kind: 'fdb.del', ns, vni, dev: e.dev, mac: e.mac, self: true, dst: e.dst });
    else if (e.dev === v.name && e.master && e.state === 'static' && !remoteMacs.has(e.mac))
      ops.push({ kind: 'fdb.del', ns, vni, dev: e.dev, mac: e.mac, self: false, dst: null });
    else if (localMac.has(e.dev) && e.master && e.state === 'static' && localMac.get(e.dev) !== e.mac)
      ops.push({ kind: 'fdb.del', ns, vni, dev: e.dev, mac: e.mac, self: false, dst: null });
  }
  for (const n of neigh) {
    if (n.dev === v.name && n.permanent && !remoteIps.has(n.ip) && !(n.ip.includes(':') && !d.ipv6))
      ops.push({ kind: 'neigh.del', ns, vni, dev: n.dev, ip: n.ip });
  }
  for (const a of bridgeAddrs) if (a !== d.bridge.address) ops.push({ kind: 'addr.del', ns, vni, dev: d.bridge.name, cidr: a });
  if (d.ipv6) {
    for (const a of bridgeAddrs6) {
      if (a !== d.ipv6.address && !a.startsWith('fe80:')) ops.push({ kind: 'addr.del', ns, vni, dev: d.bridge.name, cidr: a });
    }
  }
  const wanted = new Set([d.bridge.name, v.name, ...d.locals.map((c) => c.veth)]);
  for (const l of o?.links ?? []) {
    if (!wanted.has(l.name) && isOurIfname(l.name) && isOurAlias(l.alias)) ops.push({ kind: 'link.del', ns, vni, name: l.name, why: 'not desired' });
  }
  return ops;
}

/** True for the alias of a veth configured for dual-stack. */
function isV6(alias: string | null): boolean {
  return alias?.endsWith(V6_ALIAS_SUFFIX) ?? false;
}

interface Want {
  mtu: number;
  alias: string;
  mac?: string;
  master?: string;
  port?: boolean; // a bridge port: learning must be off
  bridge?: boolean; // the bridge itself: multicast snooping must be off
}

/** Emits one link.set carrying only the attributes that differ (none → no op). */
function pushSet(ops: Op[], ns: string, vni: number, l: ObservedLink, w: Want, masterGone = false): void {
  const op: Extract<Op, { kind: 'link.set' }> = { kind: 'link.set', ns, vni, name: l.name };
  if (l.mtu !== w.mtu) op.mtu = w.mtu;
  if (l.alias !== w.alias) op.alias = w.alias;
  if (w.mac && l.mac !== w.mac) op.mac = w.mac;
  if (w.master && (masterGone || l.master !== w.master)) op.master = w.master;
  if (!l.up) op.up = true;
  if (w.port && (l.learning !== false || op.master)) op.learningOff = true;
  if (w.bridge && l.mcastSnooping !== 0) op.mcastSnoopingOff = true;
  if (Object.keys(op).length > 4) ops.push(op);
}
