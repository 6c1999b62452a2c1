/**
 * diff(desired, observed) → Op[]: the whole host, in the order the kernel needs.
 *
 * Pure. The order is the phase table's (phases.ts): namespaces → links → addresses → entries → nft
 * → peers, then every removal (add before delete).
 * Sandboxes that are ours (name prefix) but no longer desired are deleted whole: removing the
 * namespace removes its bridge, VXLAN, veths and entries with it, in one kernel call.
 */
import type { Names } from '../config-names';
import type { DesiredState } from '../desired/types';
import type { ObservedState } from '../observed/types';
import { diffHost, type HostDiffOptions } from './diff-host';
import { diffSandbox } from './diff-sandbox';
import type { Op } from './ops';
import { byPhase } from './phases';

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
  return { ops: byPhase(ops), problems };
}
