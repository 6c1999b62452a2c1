/**
 * diff(desired, observed) → Op[]: the whole host, in the order the kernel needs.
 *
 * Pure. Order: namespaces → links → addresses → FDB/neighbour → nft → peers, then every removal
 * (add before delete: a moved container is reachable at its new place before the old entry goes).
 * Sandboxes that are ours (name prefix) but no longer desired are deleted whole: removing the
 * namespace removes its bridge, VXLAN, veths and entries with it, in one kernel call.
 */
import type { Names } from '../config-names';
import type { DesiredState } from '../desired/types';
import type { ObservedState } from '../observed/types';
import { diffHost, type HostDiffOptions } from './diff-host';
import { diffSandbox } from './diff-sandbox';
import type { Op } from './ops';

/** Options of diff. */
export interface DiffOptions {
  names: Names;
  wgMode: HostDiffOptions['wgMode'];
  privateKeyPath?: string;
}

/** The result of a diff: ordered ops plus problems no op can fix (reported, not thrown). */
export interface DiffResult {
  ops: Op[];
  problems: string[];
}

/** Computes the ordered operations that make `observed` equal `desired`. */
export function diff(desired: DesiredState, observed: ObservedState, opts: DiffOptions): DiffResult {
  const isOur = (n: string) => opts.names.isOurIfname(n);
  const host = diffHost(desired, observed, { wgMode: opts.wgMode, privateKeyPath: opts.privateKeyPath, isOurIfname: isOur });
  const ops: Op[] = [...host.ops];
  const problems = [...host.problems];
  const unreadable = observed.unreadable ?? {};
  for (const sb of desired.sandboxes) {
    // Unknown is not absent: a sandbox we could not read is left alone rather than rebuilt blindly.
    if (unreadable[sb.ns]) problems.push(`sandbox ${sb.ns} unreadable, skipped: ${unreadable[sb.ns]}`);
    else ops.push(...diffSandbox(sb, observed.sandboxes[sb.ns], isOur));
  }
  const wanted = new Set(desired.sandboxes.map((s) => s.ns));
  for (const ns of observed.namespaces) {
    const vni = opts.names.vniOfSandbox(ns);
    if (vni !== null && !wanted.has(ns)) ops.push({ kind: 'netns.del', ns, vni });
  }
  return { ops: order(ops), problems };
}

/** Phase of an op; a stable sort by phase keeps the diff's order inside a phase. */
export function phaseOf(op: Op): number {
  switch (op.kind) {
    case 'netns.add': return 10;
    case 'wg.create': return 15;
    case 'link.del': return op.why === 'not desired' ? 83 : 20; // a re-created link must go before its new self
    case 'wg.link': case 'vxlan.add': case 'bridge.add': case 'veth.add': case 'link.set': return 30;
    case 'addr.add': return 40;
    case 'fdb.add': case 'neigh.add': return 50;
    case 'nft.replace': return 60;
    case 'wg.device': return 70;
    case 'wg.peers': return op.remove.length ? 80 : 71;
    case 'fdb.del': case 'neigh.del': return 81;
    case 'addr.del': return 82;
    case 'nft.del': return 85;
    case 'netns.del': return 90;
  }
}

function order(ops: Op[]): Op[] {
  return ops.map((op, i) => ({ op, i })).sort((a, b) => phaseOf(a.op) - phaseOf(b.op) || a.i - b.i).map((x) => x.op);
}
