/**
 * `weft-agent status`: what the running agent holds, read from `GET /v1/status` on its attach socket
 * (agent/runtime/status.ts builds that object): revision, networks and their readiness, containers,
 * peers, the brake and the last error. `--json` prints the object as the agent answered it.
 *
 * Every field is optional here: an older agent that answers fewer fields still gets a status, with
 * `–` for what it did not say. Exit codes: 0 printed (ready or not), 1 the agent is unreachable or
 * refused, 2 a bad command line.
 */
import { AttachApiError, callAttachApi } from '../runtime/client.ts';
import { defaultAttachSocket } from '../runtime/cli.ts';
import { type Command, type CommandIo, UsageError } from './command.ts';

/** The part of the status object this command prints. */
export interface PrintedStatus {
  ready?: boolean;
  problems?: string[];
  hostId?: string | null;
  revision?: number | null;
  lastPassAt?: string | null;
  networks?: Record<string, { vni?: number; ready?: boolean; errors?: string[] }>;
  containers?: { local?: number; attached?: number } | number;
  peers?: number | unknown[];
  brake?: unknown;
  fence?: unknown;
  lastError?: string | null;
}

const dash = (v: unknown) => (v === null || v === undefined || v === '' ? '–' : String(v));

/** A one-line rendering of the brake or fence object, whatever shape the agent gives it. */
function describeState(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'object') return String(v);
  const o = v as Record<string, unknown>;
  const head = o.state ?? o.status ?? (o.engaged === true ? 'engaged' : o.engaged === false ? 'released' : undefined);
  const rest = Object.entries(o)
    .filter(([k, x]) => !['state', 'status', 'engaged'].includes(k) && x !== null && x !== undefined && typeof x !== 'object')
    .map(([k, x]) => `${k}=${x}`);
  return [head, ...rest].filter(Boolean).join(' ') || JSON.stringify(o);
}

const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : dash(ms));

/** The brake as the agent reports it (agent/safety/gate.ts): null when released. */
function describeBrake(b: unknown): string {
  if (b === undefined) return '–'; // an agent that does not report it
  if (b === null) return 'released';
  const o = b as { objectsHeld?: number; hostObjects?: number; since?: number; nearEmpty?: boolean; reason?: string };
  if (typeof o !== 'object' || o.objectsHeld === undefined) return describeState(b);
  const when = o.nearEmpty ? ' (near-empty: never released by time)' : '';
  return `ENGAGED: holds ${o.objectsHeld} of ${dash(o.hostObjects)} objects since ${iso(o.since)}${when}${o.reason ? `: ${o.reason}` : ''} (weft-agent confirm applies them)`;
}

/** The fence (agent/safety/fence.ts): null when the agent trusts the API's database. */
function describeFence(f: unknown): string {
  if (f === null) return 'none';
  const o = f as { reason?: string; since?: number };
  if (typeof o !== 'object' || !o.reason) return describeState(f);
  return `FENCED since ${iso(o.since)}: ${o.reason} (weft-agent accept-generation trusts the new database)`;
}

/** The human rendering of a status object. */
export function formatStatus(s: PrintedStatus): string {
  const networks = Object.entries(s.networks ?? {});
  const ready = networks.filter(([, n]) => n.ready).length;
  const containers =
    typeof s.containers === 'number' ? String(s.containers) : s.containers ? `${dash(s.containers.local)} local, ${dash(s.containers.attached)} attached` : '–';
  const peers = Array.isArray(s.peers) ? String(s.peers.length) : dash(s.peers);
  const lines = [
    `agent       ${dash(s.hostId)}  ${s.ready ? 'ready' : 'NOT READY'}`,
    `revision    ${dash(s.revision)}  (last pass ${dash(s.lastPassAt)})`,
    `brake       ${describeBrake(s.brake)}`,
    ...(s.fence !== undefined ? [`fence       ${describeFence(s.fence)}`] : []),
    `networks    ${networks.length} (${ready} ready)`,
    ...networks.map(([id, n]) => `  ${id}  vni ${dash(n.vni)}  ${n.ready ? 'ready' : `NOT READY: ${(n.errors ?? []).join('; ') || 'no reason given'}`}`),
    `containers  ${containers}`,
    `peers       ${peers}`,
    `last error  ${dash(s.lastError ?? s.problems?.[0])}`,
  ];
  return `${lines.join('\n')}\n`;
}

export const statusCommand: Command = {
  summary: 'print what the running agent holds: revision, networks, containers, peers, brake, last error',
  usage: 'weft-agent status [--json] [--socket PATH] [--state-dir DIR]',
  flags: ['socket', 'state-dir'],
  switches: ['json'],
  async run(positional, io: CommandIo) {
    if (positional.length) throw new UsageError('status takes no arguments');
    const socket = io.env.WEFT_SOCKET ?? defaultAttachSocket(io.env);
    let status: PrintedStatus;
    try {
      status = await callAttachApi<PrintedStatus>(socket, 'GET', '/v1/status');
    } catch (e) {
      io.err.write(`${e instanceof AttachApiError ? e.message : `the agent is not reachable on ${socket}: ${(e as Error).message}`}\n`);
      return 1;
    }
    io.out.write(io.env.WEFT_JSON ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return 0;
  },
};
