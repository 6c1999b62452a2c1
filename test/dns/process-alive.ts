// Whether a PID is a live process. A zombie counts as gone: a detached daemon whose parent exited
// is re-parented to PID 1, which in some sandboxes never reaps it.
import { readFileSync } from 'node:fs';

export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
