/**
 * Host-namespace diff: the WireGuard device (link, address, key/port, peers) and the host table.
 *
 * The whole WireGuard device is ours (its name carries our prefix), so every peer on it that the
 * model does not list is removed. Other links of the host namespace are never touched, except
 * VXLANs we created and failed to move into their sandbox (our name + our alias).
 */
import type { DesiredState } from '../desired/types';
import type { ObservedState } from '../observed/types';
import { isOurAlias } from '../config-names';
import { diffTables } from './diff-tables';
import type { Op } from './ops';

/** How the WireGuard device comes to exist: created by the agent (kernel module) or by someone else. */
export type WgMode = 'kernel' | 'external';

/** Options of the host diff. */
export interface HostDiffOptions {
  wgMode: WgMode;
  privateKeyPath?: string;
  isOurIfname: (name: string) => boolean;
}

/** Ops for the host namespace. Problems that ops cannot fix are returned as `problems`. */
export function diffHost(d: DesiredState, o: ObservedState, opts: HostDiffOptions): { ops: Op[]; problems: string[] } {
  const ops: Op[] = [];
  const problems: string[] = [];
  const w = d.wg;
  const link = o.hostLinks.find((l) => l.name === w.ifname);
  if (!link) {
    if (opts.wgMode === 'kernel') ops.push({ kind: 'wg.create', ifname: w.ifname });
    else problems.push(`WireGuard device ${w.ifname} is missing (started outside the agent)`);
  }
  if (link || opts.wgMode === 'kernel') {
    const others = (link?.addrs ?? []).filter((a) => a !== w.address);
    if (!link || link.mtu !== w.mtu || !link.up || !link.addrs.includes(w.address) || others.length)
      ops.push({ kind: 'wg.link', ifname: w.ifname, mtu: w.mtu, address: w.address, addrsToDel: others });
  }
  const wg = o.wg;
  if (link && !wg) problems.push(`WireGuard device ${w.ifname} did not answer wg show`);
  if (link || opts.wgMode === 'kernel') {
    const keyWrong = !wg || wg.publicKey !== w.publicKey;
    const portWrong = !wg || wg.listenPort !== w.listenPort;
    if (keyWrong && !opts.privateKeyPath) problems.push(`WireGuard device ${w.ifname} has the wrong key and no private key path is configured`);
    else if (keyWrong || portWrong)
      ops.push({
        kind: 'wg.device',
        ifname: w.ifname,
        ...(keyWrong ? { privateKeyPath: opts.privateKeyPath } : {}),
        ...(portWrong ? { listenPort: w.listenPort } : {}),
      });
    const have = new Map((wg?.peers ?? []).map((p) => [p.publicKey, p]));
    const set = w.peers.filter((p) => {
      const h = have.get(p.publicKey);
      return !h || h.endpoint !== p.endpoint || h.keepalive !== p.keepalive || h.allowedIps.join(',') !== [...p.allowedIps].sort().join(',');
    });
    const want = new Set(w.peers.map((p) => p.publicKey));
    const remove = [...have.keys()].filter((k) => !want.has(k)).sort();
    if (set.length) ops.push({ kind: 'wg.peers', ifname: w.ifname, set, remove: [] });
    if (remove.length) ops.push({ kind: 'wg.peers', ifname: w.ifname, set: [], remove });
  }
  for (const l of o.hostLinks) {
    // A VXLAN is created here and then moved; one left behind by a failed pass is ours to remove.
    if (l.kind === 'vxlan' && opts.isOurIfname(l.name) && isOurAlias(l.alias))
      ops.push({ kind: 'link.del', ns: null, vni: l.vxlan?.id ?? 0, name: l.name, why: 'left in host namespace' });
  }
  ops.push(...diffTables(null, null, [d.hostTable], o.hostTables));
  return { ops, problems };
}
