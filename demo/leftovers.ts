/**
 * Crash recovery for `npm run demo`: every process the demo's world starts is recorded in
 * `data/demo/processes.json` with its kernel start time (and, for the reader, its command line). The
 * next run ends a recorded process only if that PID still has the same start time — proof it is the
 * demo's and not a process that reused the PID (an exec keeps the start time, unlike the command
 * line: `tsx` becomes `node`) — and never looks for processes by name.
 * Namespaces are removed by their lab prefix (Lab.up), /etc/netns entries by World.up.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STATE_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../data/demo');
const FILE = join(STATE_DIR, 'processes.json');

interface Recorded {
  pid: number;
  group: boolean; // started as a process group leader: end the whole group
  startTime: string;
  cmdline: string;
  what: string;
}
interface Leftovers {
  labDir?: string;
  processes: Recorded[];
}

/** The kernel's start time of `pid` (clock ticks since boot), or null when it is gone. */
function startTimeOf(pid: number): string | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
    return fields[0] === 'Z' ? null : (fields[19] ?? null); // a zombie is gone
  } catch {
    return null;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function load(): Leftovers {
  try {
    return JSON.parse(readFileSync(FILE, 'utf8')) as Leftovers;
  } catch {
    return { processes: [] };
  }
}

function save(state: Leftovers): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(FILE, JSON.stringify(state, null, 2));
}

/** Remembers the lab's temporary directory (keys, agent state) for a later clean-up. */
export function recordLabDir(labDir: string): void {
  save({ ...load(), labDir });
}

/** Remembers a process the world started. */
export function recordProcess(pid: number, what: string): void {
  const startTime = startTimeOf(pid);
  if (!startTime) return; // already gone
  const state = load();
  state.processes.push({ pid, group: what.includes('(process group)'), startTime, cmdline: cmdlineOf(pid), what });
  save(state);
}

/** Ends what a crashed previous run left, proven by PID + start time + command line; returns what it did. */
export function removeLeftovers(): string[] {
  if (!existsSync(FILE)) return [];
  const { labDir, processes } = load();
  const done: string[] = [];
  for (const p of processes) {
    if (startTimeOf(p.pid) !== p.startTime) continue; // gone, or the PID now belongs to another process
    try {
      process.kill(p.group ? -p.pid : p.pid, 'SIGKILL');
      done.push(`ended ${p.what} (pid ${p.pid})`);
    } catch {}
  }
  if (done.length) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // let them die
  // a killed wireguard-go leaves its UAPI socket; the name is the demo's own (prefix `dm<n>`)
  for (const p of processes) {
    const ifname = /^wireguard-go (dm\dpnwg0)$/.exec(p.what)?.[1];
    if (ifname && existsSync(`/var/run/wireguard/${ifname}.sock`) && startTimeOf(p.pid) === null) rmSync(`/var/run/wireguard/${ifname}.sock`, { force: true });
  }
  if (labDir && new RegExp(`^${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/weft-lab-\\w+$`).test(labDir) && existsSync(labDir)) {
    rmSync(labDir, { recursive: true, force: true });
    done.push(`removed ${labDir}`);
  }
  rmSync(FILE, { force: true });
  return done;
}

/** After a clean exit: nothing left to recover. */
export function forgetAll(): void {
  rmSync(FILE, { force: true });
}
