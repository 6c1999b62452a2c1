/**
 * Issue 18: every command prints --help on stdout with exit 0 and refuses an unknown argument with
 * exit 2 and a message on stderr (weft-agent's own table is tested in agent/cli/main.test.ts; the
 * installed commands in install.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMMANDS: [string, string, RegExp][] = [
  ['weft-api', 'src/node.ts', /^usage: weft-api/],
  ['db:migrate', 'scripts/migrate.ts', /^usage: npm run db:migrate/],
  ['schema:print', 'scripts/print-schema.ts', /^usage: npm run schema:print/],
  ['token', 'scripts/token.ts', /usage: npm run token/],
];

const run = (file: string, args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, DATABASE_URL: 'file::memory:' },
  });

describe('command lines', () => {
  it.each(COMMANDS)('%s: --help on stdout, exit 0; an unknown flag, exit 2', (_name, file, usage) => {
    const help = run(file, ['--help']);
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(usage);
    const bad = run(file, ['--no-such-flag']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no-such-flag/);
    expect(bad.stdout).toBe('');
  });
});
