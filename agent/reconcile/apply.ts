/**
 * apply: runs rendered commands in order and reports every failure (STYLE habit 7).
 *
 * Owns: mapping a batch's stderr back to the op of the failing line, the "exists on add / missing on
 * delete is success" rule, and skipping what depends on a failed namespace. Never: decides what to
 * change. A failure never stops the pass: the rest is applied, and the failures are returned so the
 * reconciler can report them per network (errors.Join style).
 */
import type { CommandRunner } from '../exec/runner';
import { CommandError } from '../exec/runner';
import type { Command, Tolerance } from './argv';
import type { Op } from './ops';

/** One op that did not happen, and why. */
export interface OpFailure {
  op: Op;
  error: string;
}

const EXISTS = /File exists/i;
const MISSING = /No such file or directory|Cannot find device|No such process|does not exist|Cannot assign requested address|No such device/i;

/** Runs the commands; returns failures (empty: everything applied). */
export async function applyCommands(runner: CommandRunner, cmds: Command[]): Promise<OpFailure[]> {
  const failures: OpFailure[] = [];
  const deadNs = new Set<string>(); // namespaces whose creation failed: skip everything inside them
  for (const cmd of cmds) {
    if (cmd.ns && deadNs.has(cmd.ns)) {
      for (const l of cmd.lines) failures.push({ op: l.op, error: `skipped: namespace ${cmd.ns} could not be created` });
      continue;
    }
    try {
      await runner.run(cmd.argv, cmd.stdin === undefined ? {} : { stdin: cmd.stdin });
    } catch (err) {
      const stderr = err instanceof CommandError ? err.stderr : String(err);
      const lineErrors = cmd.batch ? parseBatchErrors(stderr) : null;
      if (lineErrors && lineErrors.size > 0) {
        for (const [n, msg] of lineErrors) {
          const line = cmd.lines[n - 1];
          if (!line || tolerated(line.tolerate, msg)) continue;
          failures.push({ op: line.op, error: `${cmd.argv.join(' ')} line ${n}: ${msg}` });
          if (line.op.kind === 'netns.add') deadNs.add(line.op.ns);
        }
      } else {
        const msg = err instanceof Error ? err.message : String(err);
        const seen = new Set<Op>();
        for (const l of cmd.lines) {
          if (seen.has(l.op) || tolerated(l.tolerate, msg)) continue;
          seen.add(l.op);
          failures.push({ op: l.op, error: msg });
        }
      }
    }
  }
  return failures;
}

/**
 * Splits `ip/bridge -force -batch` stderr into line number → message. iproute2 prints the error
 * first, then `Command failed -:<n>`.
 */
export function parseBatchErrors(stderr: string): Map<number, string> {
  const out = new Map<number, string>();
  let pending: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^Command failed (?:-|\S+):(\d+)$/.exec(line.trim());
    if (m) {
      out.set(Number(m[1]), pending.join(' | ') || 'failed');
      pending = [];
    } else if (line.trim()) pending.push(line.trim());
  }
  return out;
}

function tolerated(t: Tolerance, msg: string): boolean {
  return (t === 'exists' && EXISTS.test(msg)) || (t === 'missing' && MISSING.test(msg));
}
