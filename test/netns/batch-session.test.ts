/**
 * Batch sessions of the real runner (agent/exec/runner.ts) on the real kernel (root): lines run in a
 * long-lived `ip`/`bridge -n <ns> -batch`, failures come back numbered per run as apply.ts reads
 * them, and a command that deletes the namespace closes its sessions first, so no process keeps a
 * deleted namespace alive. Namespace prefix `xs`; everything is removed even on failure.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { parseBatchErrors } from '../../agent/reconcile/apply';
import { CommandError, createExecRunner } from '../../agent/exec/runner';
import { describeRoot } from '../support/root';

const NS = 'xsbatch-1';
const ip = (...a: string[]) => execFileSync('ip', a, { encoding: 'utf8' });

describeRoot('batch sessions (root)', () => {
  const runner = createExecRunner({ sessions: { idleMs: 60_000 } });
  const sessionPids = () =>
    execFileSync('sh', ['-c', `pgrep -f '^(ip|bridge) -n ${NS} -force -batch' || true`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  afterAll(() => {
    try {
      ip('netns', 'del', NS);
    } catch {}
  });

  it('runs lines in one process per namespace and tool, numbers failures per run, and is closed by netns del', async () => {
    await runner.run(['ip', '-force', '-batch', '-'], { stdin: `netns add ${NS}\n` });
    await runner.run(['ip', '-n', NS, '-force', '-batch', '-'], { stdin: 'link add xsb0 type bridge\nlink set xsb0 up\n' });
    expect(ip('-n', NS, '-j', 'link', 'show', 'xsb0')).toContain('"xsb0"');
    // second run on the same session: line 2 fails, line 3 still runs
    const failed = await runner
      .run(['ip', '-n', NS, '-force', '-batch', '-'], { stdin: 'link add xsb1 type bridge\nlink del xsnone\nlink set xsb1 up\n' })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(failed).toBeInstanceOf(CommandError);
    expect([...parseBatchErrors((failed as CommandError).stderr).keys()]).toEqual([2]);
    expect(ip('-n', NS, '-j', 'link', 'show', 'xsb1')).toContain('"UP"');
    await runner.run(['bridge', '-n', NS, '-force', '-batch', '-'], { stdin: 'fdb replace 02:00:0a:00:00:05 dev xsb0 self permanent\n' });
    expect(ip('-n', NS, 'link', 'show', 'xsb0')).toBeTruthy();
    expect(execFileSync('bridge', ['-n', NS, 'fdb', 'show', 'dev', 'xsb0'], { encoding: 'utf8' })).toContain('02:00:0a:00:00:05');
    expect(sessionPids()).toHaveLength(2); // one ip, one bridge
    await runner.run(['ip', '-force', '-batch', '-'], { stdin: `netns del ${NS}\n` });
    await new Promise((r) => setTimeout(r, 200));
    expect(sessionPids()).toEqual([]);
    expect(ip('netns', 'list')).not.toContain(NS);
  });
});
