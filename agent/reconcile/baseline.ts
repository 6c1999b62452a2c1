/**
 * asObserved(desired): what the kernel reads back once a pass made it equal to `desired`, in the
 * observed shape the diff compares against (docs/architecture.md §8.6).
 *
 * Owns: the baseline of the fast path. After a pass that applied every op and met no problem, the
 * kernel holds exactly the desired state in every attribute the diff compares, so the next pass may
 * diff a new desired state against `asObserved(previous desired)` instead of re-reading the kernel.
 * Pure. Never: claims anything the diff does not compare (a veth's kernel-chosen MAC, foreign links
 * and namespaces, the container end of a veth): those are absent or null, which the diff ignores.
 * The contract, tested over the reconciler's table states: `diff(d, asObserved(d))` has no op and
 * no problem.
 */
import type { DesiredState, DesiredTable } from '../desired/types';
import type { ObservedFdb, ObservedLink, ObservedSandbox, ObservedState, ObservedTable } from '../observed/types';
import { FLOOD_MAC } from './ops';

/** The observed state of a kernel that holds exactly `d` (see the module note). */
export function asObserved(d: DesiredState): ObservedState {
  const w = d.wg;
  const sandboxes: Record<string, ObservedSandbox> = {};
  for (const sb of d.sandboxes) {
    const port = { up: true, mac: null, master: sb.bridge.name, learning: false, vxlan: null, mcastSnooping: null, addrs: [] };
    const links: ObservedLink[] = [
      {
        ...port,
        name: sb.bridge.name,
        kind: 'bridge',
        mtu: sb.mtu,
        alias: sb.bridge.alias,
        mac: sb.bridge.mac,
        master: null,
        learning: null,
        mcastSnooping: 0,
        addrs: [sb.bridge.address],
        // dual-stack: the v6 gateway (the kernel's link-local is never made: addrgenmode none)
        ...(sb.ipv6 ? { addrs6: [sb.ipv6.address] } : {}),
      },
      {
        ...port,
        name: sb.vxlan.name,
        kind: 'vxlan',
        mtu: sb.mtu,
        alias: sb.vxlan.alias,
        vxlan: { id: sb.vni, local: sb.vxlan.local, port: sb.vxlan.port, learning: false, proxy: true },
      },
      ...sb.locals.map((c) => ({ ...port, name: c.veth, kind: 'veth', mtu: sb.mtu, alias: c.alias })),
    ];
    const fdb: ObservedFdb[] = [
      ...sb.locals.map((c) => ({ mac: c.mac, dev: c.veth, self: false, dst: null, master: sb.bridge.name, state: 'static' })),
      ...sb.remotes.flatMap((r) => [
        { mac: r.mac, dev: sb.vxlan.name, self: true, dst: r.dst, master: null, state: 'permanent' },
        { mac: r.mac, dev: sb.vxlan.name, self: false, dst: null, master: sb.bridge.name, state: 'static' },
      ]),
      ...sb.flood.map((dst) => ({ mac: FLOOD_MAC, dev: sb.vxlan.name, self: true, dst, master: null, state: 'permanent' })),
    ];
    const neigh = sb.remotes.flatMap((r) => [
      { ip: r.ip, dev: sb.vxlan.name, mac: r.mac, permanent: true },
      ...(r.ip6 ? [{ ip: r.ip6, dev: sb.vxlan.name, mac: r.mac, permanent: true }] : []),
    ]);
    sandboxes[sb.ns] = { ns: sb.ns, links, fdb, neigh, tables: sb.tables.map(tableAsObserved) };
  }
  return {
    namespaces: d.sandboxes.map((s) => s.ns),
    hostLinks: [
      {
        name: w.ifname,
        kind: 'wireguard',
        mtu: w.mtu,
        up: true,
        mac: null,
        alias: null,
        master: null,
        learning: null,
        vxlan: null,
        mcastSnooping: null,
        addrs: [w.address],
      },
    ],
    wg: {
      publicKey: w.publicKey,
      listenPort: w.listenPort,
      peers: w.peers.map((p) => ({ publicKey: p.publicKey, endpoint: p.endpoint, allowedIps: [...p.allowedIps].sort(), keepalive: p.keepalive })),
    },
    hostTables: [tableAsObserved(d.hostTable)],
    sandboxes,
  };
}

function tableAsObserved(t: DesiredTable): ObservedTable {
  const elements = t.setElements && Object.fromEntries(Object.entries(t.setElements).map(([k, v]) => [k, [...v]]));
  const parts = t.parts && { sets: { ...t.parts.sets }, chains: { ...t.parts.chains } };
  return {
    family: t.family,
    name: t.name,
    hash: t.hash,
    chains: { ...t.chains },
    sets: { ...t.sets },
    ...(elements ? { elements } : {}),
    ...(parts ? { parts } : {}),
  };
}
