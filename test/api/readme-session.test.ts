import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from '../support/api-process.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let server: ApiProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The shell block between the readme-session markers, exactly as a reader copies it. */
function readmeSession(): string {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- readme-session:start -->\n```sh\n([\s\S]*?)```\n<!-- readme-session:end -->/.exec(text);
  if (!block) throw new Error('README has no readme-session block');
  return block[1];
}

describe('README', () => {
  it('runs its curl session verbatim against a started server with a fresh data directory', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-readme-'));
    // like `npm start` on a fresh clone: no key configured, the default relative data directory
    server = await startApiProcess({ DATABASE_URL: `file:${join(dir, 'data', 'weft.db')}`, AUTH_EDDSA_PRIVATE_KEY: '', AUTH_HS256_SECRET: '' });
    expect(server.output()).toContain('DEVELOPMENT ONLY');
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', readmeSession()], {
      cwd: dir,
      env: { ...process.env, API: server.url },
      timeout: 60_000,
    });
    const resolveAnswer = JSON.parse(stdout.slice(stdout.lastIndexOf('{\n  "data": {\n    "resolve"')));
    expect(resolveAnswer.data.resolve.rcode).toBe('NOERROR');
    expect(resolveAnswer.data.resolve.records.map((r: { data: string }) => r.data)).toEqual(['10.240.0.2', '10.240.0.3']);
    expect(resolveAnswer.data.resolve.records[0].ttl).toBe(30); // updateNetwork set it
    expect(stdout).toContain('"SCALINGO_PRIVATE_HOSTNAME"');
    // dual-stack by default (issue 21): the network's derived /64 and web.1's address at offset 2 in it
    const prefix = /"ipv6Cidr": "(fd77:6674:[0-9a-f:]+::)\/64"/.exec(stdout)?.[1];
    expect(prefix).toBeDefined();
    expect(stdout).toContain(`"ipv6": "${prefix}2"`);
    expect(stdout).toMatch(/"1\.worker\.ap-[0-9a-f-]+\.pn-[0-9a-f-]+\.private-network\.internal"/);
    expect(stdout).not.toContain('"errors"');
  });
});
