/**
 * src/ stays runtime-neutral (STYLE habit 10, issue 9): `node:*` modules only in the Node entry
 * (src/node.ts, src/node/), and the Worker needs no Node compatibility flag.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NODE_IMPORT = /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"](node:[^'"]+)['"]/g;

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.[cm]?[jt]s$/.test(e.name) ? [join(dir, e.name)] : [],
  );

describe('runtime-neutral src/', () => {
  it('imports node:* only from src/node.ts and src/node/', () => {
    const offenders = sources(join(ROOT, 'src'))
      .map((file) => relative(ROOT, file).split('\\').join('/'))
      .filter((file) => file !== 'src/node.ts' && !file.startsWith('src/node/'))
      .flatMap((file) => [...readFileSync(join(ROOT, file), 'utf8').matchAll(NODE_IMPORT)].map((m) => `${file}: ${m[1]}`));
    expect(offenders).toEqual([]);
  });

  it('the pattern catches what it must', () => {
    const hits = (text: string) => [...text.matchAll(NODE_IMPORT)].map((m) => m[1]);
    expect(hits(`import { x } from 'node:fs';\nimport 'node:process';\nconst m = await import("node:crypto");`)).toEqual([
      'node:fs',
      'node:process',
      'node:crypto',
    ]);
    expect(hits(`import { x } from './node/server.ts';`)).toEqual([]);
  });

  it("wrangler.toml needs no Node compatibility and stays within workerd's date", () => {
    const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
    expect(toml).not.toMatch(/^\s*compatibility_flags\s*=.*nodejs/m);
    const date = /^compatibility_date\s*=\s*"(\d{4}-\d{2}-\d{2})"/m.exec(toml)?.[1];
    expect(date && date <= '2026-11-01').toBe(true);
    expect(toml).toMatch(/^main\s*=\s*"src\/worker\.ts"/m);
  });
});
