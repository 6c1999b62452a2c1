/**
 * Batch sessions of the real runner (agent/exec/runner.ts) without root: a session whose process
 * never reports the end of a run is ended after the runner's timeout, like a process of its own,
 * and the next run starts a new session. The process is `sh` standing in for `ip -batch` through the
 * runner's command prefix: it reads its input and never answers.
 */
import { expect, it } from 'vitest';
import { CommandError, createExecRunner } from '../../agent/exec/runner';

it('ends a batch session that hangs after the timeout, and fails only that run', async () => {
  // prefix + argv = sh -c 'cat > /dev/null' ip -n <ns> -force -batch - : sh ignores the rest
  const runner = createExecRunner({ prefix: ['sh', '-c', 'cat > /dev/null'], timeoutMs: 300, sessions: { idleMs: 60_000 } });
  const argv = ['ip', '-n', 'xt-none', '-force', '-batch', '-'];
  const started = Date.now();
  const error = await runner.run(argv, { stdin: 'link set lo up\n' }).catch((e) => e);
  expect(error).toBeInstanceOf(CommandError);
  expect(String(error.message)).toMatch(/batch session ended/);
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(Date.now() - started).toBeLessThan(5000);
  // a new session is started for the next run (and ends the same way)
  await expect(runner.run(argv, { stdin: 'link set lo up\n' })).rejects.toBeInstanceOf(CommandError);
});
