import { describe, expect, it } from 'vitest';
import { runAgentCli } from '../../test/support/cli.ts';

const run = (argv: string[]) => runAgentCli(argv);

describe('weft-agent command line', () => {
  it.each([
    [['--help'], 0, 'stdout', 'commands:'],
    [['-h'], 0, 'stdout', 'commands:'],
    [['run', '--help'], 0, 'stdout', 'usage: weft-agent run'],
    [['enroll', '--help'], 0, 'stdout', 'usage: weft-agent enroll'],
    [['nope'], 2, 'stderr', 'unknown command "nope"'],
    [['run', '--bogus', '1'], 2, 'stderr', 'weft-agent run: unknown flag --bogus'],
    [['run', '--api-url'], 2, 'stderr', '--api-url needs a value'],
    [['enroll', '--api-url', 'http://x'], 2, 'stderr', 'missing --admin-token, --name, --endpoint'],
  ] as const)('%j exits %i with %s containing %j', async (argv, code, stream, text) => {
    const r = await run([...argv]);
    expect(r.code).toBe(code);
    expect(stream === 'stdout' ? r.out : r.err).toContain(text);
    expect(stream === 'stdout' ? r.err : r.out).toBe('');
  });

  it('run without an identity fails (exit via thrown error) before touching anything', async () => {
    await expect(run(['run', '--api-url', 'http://127.0.0.1:9', '--state-dir', '/nonexistent-weft-state'])).rejects.toThrow(/no host identity/);
  });
});
