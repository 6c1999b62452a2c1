import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STATES } from '../../test/support/reconcile-scenarios.ts';
import { runAgentCli } from '../../test/support/cli.ts';
import { saveLastKnownGood } from '../state/last-known-good.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-env-'));
saveLastKnownGood(dir, STATES.twoNetworks);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (argv: string[]) => runAgentCli(argv);

describe('weft-agent env', () => {
  it('prints the container environment as KEY=value lines for podman run --env-file', async () => {
    expect(await run(['env', 'ctr-a0000001', '--state-dir', dir])).toEqual({
      code: 0,
      out: 'SCALINGO_APPLICATION_ID=ap-app1\nSCALINGO_PRIVATE_NETWORK_ID=pn-a\nSCALINGO_PRIVATE_HOSTNAME=1.web.ap-app1.pn-a.private-network.internal\n',
      err: '',
    });
    expect((await run(['env', 'ctr-a0000001', '--state-dir', dir, '--env-prefix', 'PAAS_'])).out).toMatch(/^PAAS_APPLICATION_ID=ap-app1\n/);
  });

  it.each([
    [['env', 'ctr-ffffffff', '--state-dir', dir], 1, /CONTAINER_UNKNOWN/],
    [['env', 'ctr-a0000002', '--state-dir', dir], 1, /CONTAINER_NOT_ON_THIS_HOST/],
    [['env', 'ctr-a0000001', '--state-dir', join(dir, 'none')], 1, /AGENT_NOT_READY/],
    [['env'], 2, /give exactly one container id/],
    [['env', 'ctr-a0000001', '--env-prefix', 'x'], 2, /--env-prefix/],
  ])('%j exits %i', async (argv, code, msg) => {
    const r = await run(argv);
    expect(r.code).toBe(code);
    expect(r.out).toBe('');
    expect(r.err).toMatch(msg);
  });
});
