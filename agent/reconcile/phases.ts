/**
 * The reconcile order, as one table: the diff sorts ops by it and argv.ts batches lines by it.
 *
 * Phases run top to bottom. Each names the tool its lines are written for; a phase's lines go into
 * one process per namespace, and consecutive phases with the same `batch` share that process (lines
 * in phase order). Every op sorts into one phase (`phaseOf`) and writes its lines there, except
 * where argv.ts names another phase for a line: netns.add also sets sysctls and brings `lo` up,
 * vxlan.add is created in the host namespace before it is moved, veth.add configures the container
 * end. Inside a phase the diff's own order is kept (a bridge is emitted before its ports).
 * Why this order: the kernel needs a namespace before its links, a re-created link gone before its
 * new self, a bridge before its ports and links before their addresses and entries; `wg set` takes
 * device options before peers; and every addition goes before every removal, so a moved container
 * is reachable at its new place before the old entry goes (STYLE habit 5).
 */
import type { Op } from './ops';

/** The program a phase's lines are written for; argv.ts owns the syntax. */
export type Tool = 'ip' | 'bridge' | 'nft' | 'wg' | 'sysctl' | 'ctr' | 'ctr.sysctl';

/** One step of a pass; `batch` defaults to the phase's own name. */
interface PhaseRow {
  name: string;
  tool: Tool;
  batch?: string;
}

/** The phases, in the order the kernel gets them. */
export const PHASES = [
  { name: 'netns.add', tool: 'ip' }, // `ip netns add`, host namespace
  { name: 'sandbox.sysctl', tool: 'sysctl' },
  { name: 'sandbox.ipv6', tool: 'sysctl', batch: 'sandbox.sysctl' }, // after a new sandbox's own sysctls, in the same process
  { name: 'link.recreate', tool: 'ip' }, // incompatible links, VXLANs left in the host namespace
  { name: 'host.links', tool: 'ip' }, // WireGuard link; each VXLAN is created here, then moved
  { name: 'sandbox.links', tool: 'ip', batch: 'sandbox.add' },
  { name: 'sandbox.addrs', tool: 'ip', batch: 'sandbox.add' },
  { name: 'sandbox.neigh', tool: 'ip', batch: 'sandbox.add' },
  { name: 'container.sysctl', tool: 'ctr.sysctl' }, // dual-stack container ends: IPv6 on, no RA/SLAAC/DAD
  { name: 'container.links', tool: 'ctr' }, // one process per container namespace
  { name: 'fdb.add', tool: 'bridge' },
  { name: 'nft.replace', tool: 'nft' },
  { name: 'wg.device', tool: 'wg', batch: 'wg.set' },
  { name: 'wg.peers', tool: 'wg', batch: 'wg.set' },
  { name: 'wg.peers.remove', tool: 'wg' },
  { name: 'fdb.del', tool: 'bridge' },
  { name: 'neigh.del', tool: 'ip', batch: 'sandbox.del' },
  { name: 'addr.del', tool: 'ip', batch: 'sandbox.del' },
  { name: 'link.del', tool: 'ip', batch: 'sandbox.del' },
  { name: 'nft.del', tool: 'nft' },
  { name: 'netns.del', tool: 'ip' }, // takes the sandbox's links and entries with it
] as const satisfies readonly PhaseRow[];

/** A phase's name. */
export type PhaseName = (typeof PHASES)[number]['name'];

type OpOf<K extends Op['kind']> = Extract<Op, { kind: K }>;

/** Every op kind's phase; a kind whose phase depends on the op says how. */
export const OP_PHASES: { [K in Op['kind']]: PhaseName | ((op: OpOf<K>) => PhaseName) } = {
  'netns.add': 'netns.add',
  'sandbox.ipv6': 'sandbox.ipv6',
  'wg.create': 'host.links',
  'wg.link': 'host.links',
  'link.del': (op) => (op.why === 'not desired' ? 'link.del' : 'link.recreate'),
  'bridge.add': 'sandbox.links',
  'vxlan.add': 'sandbox.links',
  'veth.add': 'sandbox.links',
  'ctr.ipv6': 'container.links',
  'link.set': 'sandbox.links',
  'addr.add': 'sandbox.addrs',
  'neigh.add': 'sandbox.neigh',
  'fdb.add': 'fdb.add',
  'nft.replace': 'nft.replace',
  'nft.sets': 'nft.replace',
  'nft.patch': 'nft.replace',
  'wg.device': 'wg.device',
  'wg.peers': (op) => (op.remove.length ? 'wg.peers.remove' : 'wg.peers'),
  'fdb.del': 'fdb.del',
  'neigh.del': 'neigh.del',
  'addr.del': 'addr.del',
  'nft.del': 'nft.del',
  'netns.del': 'netns.del',
};

const RANK = new Map<PhaseName, number>(PHASES.map((p, i) => [p.name, i]));
const ROW = new Map<PhaseName, Required<PhaseRow>>(PHASES.map((p) => [p.name, { batch: p.name, ...p }]));

/** The phase an op sorts into. */
export function phaseOf(op: Op): PhaseName {
  const p = OP_PHASES[op.kind] as PhaseName | ((op: Op) => PhaseName);
  return typeof p === 'function' ? p(op) : p;
}

/** A phase's position in PHASES: what both the diff and the batches sort by. */
export function rankOf(phase: PhaseName): number {
  return RANK.get(phase)!;
}

/** The tool and the batch (shared process) of a phase. */
export function phaseRow(phase: PhaseName): { tool: Tool; batch: string } {
  return ROW.get(phase)!;
}

/** Ops sorted by phase; a stable sort keeps the caller's order inside a phase. */
export function byPhase(ops: Op[]): Op[] {
  return ops
    .map((op, i) => ({ op, i, r: rankOf(phaseOf(op)) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.op);
}
