import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from './command.ts';
import { formatStatus, statusCommand } from './status.ts';

const STATUS = {
  ready: true,
  problems: [],
  hostId: 'host-1',
  revision: 42,
  lastPassAt: '2026-12-06T16:00:00.000Z',
  networks: { 'pn-a': { vni: 100, ready: true, errors: [] }, 'pn-b': { vni: 200, ready: false, errors: ['dns: EADDRNOTAVAIL'] } },
  containers: { local: 3, attached: 2 },
  peers: 4,
  brake: { since: Date.UTC(2026, 11, 6, 15), objectsHeld: 12, hostObjects: 20, nearEmpty: false, reason: 'would delete 12 of 20 objects' },
  fence: null,
  lastError: 'report failed: fetch failed',
};

describe('weft-agent status', () => {
  let dir: string;
  let server: Server;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-status-'));
    server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/v1/status') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(STATUS));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((r) => server.listen(join(dir, 'attach.sock'), r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const { positional, env } = parseArgs(statusCommand, argv);
    const code = await statusCommand.run(positional, { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) }, env });
    return { code, out, err };
  };

  it('prints revision, networks with readiness, containers, peers, brake and the last error', async () => {
    const r = await run(['--socket', join(dir, 'attach.sock')]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')).toEqual([
      'agent       host-1  ready',
      'revision    42  (last pass 2026-12-06T16:00:00.000Z)',
      'brake       ENGAGED: holds 12 of 20 objects since 2026-12-06T15:00:00.000Z: would delete 12 of 20 objects (weft-agent confirm applies them)',
      'fence       none',
      'networks    2 (1 ready)',
      '  pn-a  vni 100  ready',
      '  pn-b  vni 200  NOT READY: dns: EADDRNOTAVAIL',
      'containers  3 local, 2 attached',
      'peers       4',
      'last error  report failed: fetch failed',
      '',
    ]);
  });

  it('--json prints the object as the agent answered it', async () => {
    const r = await run(['--json', '--state-dir', dir]);
    expect(JSON.parse(r.out)).toEqual(STATUS);
  });

  it('an unreachable agent exits 1 with the reason on stderr', async () => {
    const r = await run(['--socket', join(dir, 'absent.sock')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/not reachable on .*absent\.sock/);
  });

  it('prints – for what an older agent does not say', () => {
    expect(formatStatus({ ready: false, problems: ['the agent has no host model yet'] })).toContain('last error  the agent has no host model yet');
    expect(formatStatus({})).toContain('peers       –');
    expect(formatStatus({})).toContain('brake       –');
    expect(formatStatus({ brake: null })).toContain('brake       released');
    expect(formatStatus({ fence: { reason: 'GENERATION_CHANGED', since: 0 } })).toContain(
      'fence       FENCED since 1970-01-01T00:00:00.000Z: GENERATION_CHANGED',
    );
  });
});
