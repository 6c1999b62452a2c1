/**
 * The layering rules of biome.jsonc (issue 16), proved against the real linter: each forbidden
 * import is written into a scratch tree beside a copy of the configuration, `biome lint` runs once
 * over it, and every probe must come back with exactly the rules it breaks — the allowed imports
 * with none. A pattern that stops matching relative paths (`../../agent/model.ts`), `import type`,
 * `export … from` or `import()` fails here rather than letting an import through in silence.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

const RESTRICTED = 'lint/style/noRestrictedImports';
const NODE = 'lint/correctness/noNodejsModules';
const PROTOCOL = 'lint/style/useNodejsImportProtocol';

const use = (from: string) => `import { a } from '${from}';\nexport const b = a;\n`;
const useType = (from: string) => `import type { A } from '${from}';\nexport type B = A;\n`;

/** [path in the scratch tree, source, the rules it must break (none: allowed)] */
const CASES: [string, string, string[]][] = [
  // src/ → agent/: every import form, at any depth.
  ['src/feed/to-agent.ts', use('../../agent/model.ts'), [RESTRICTED]],
  ['src/to-agent-type.ts', useType('../agent/model.ts'), [RESTRICTED]],
  ['src/to-agent-reexport.ts', `export { a } from '../agent/model.ts';\n`, [RESTRICTED]],
  ['src/to-agent-dynamic.ts', `export const load = () => import('../agent/model.ts');\n`, [RESTRICTED]],
  ['src/feed/to-agent.test.ts', use('../../agent/model.ts'), [RESTRICTED]],
  ['src/node/to-agent.ts', use('../../agent/model.ts'), [RESTRICTED]],
  // agent/ → src/.
  ['agent/dns/to-src.ts', use('../../src/domain/ipv4.ts'), [RESTRICTED]],
  ['agent/dns/to-src-type.ts', useType('../../src/feed/models.ts'), [RESTRICTED]],
  ['agent/dns/to-src.test.ts', use('../../src/domain/ipv4.ts'), [RESTRICTED]],
  // protocol/ → src/ | agent/ (tests included).
  ['protocol/dns/to-src.ts', use('../../src/db/lookups.ts'), [RESTRICTED]],
  ['protocol/dns/to-agent.ts', use('../../agent/dns/wire.ts'), [RESTRICTED]],
  ['protocol/dns/to-agent.test.ts', use('../../agent/dns/wire.ts'), [RESTRICTED]],
  // Production code → test/.
  ['src/services/to-test.ts', use('../../test/support/model.ts'), [RESTRICTED]],
  ['src/node/to-test.ts', use('../../test/support/api.ts'), [RESTRICTED]],
  ['agent/reconcile/to-test.ts', use('../../test/support/reconcile-scenarios.ts'), [RESTRICTED]],
  ['protocol/dns/to-test.ts', use('../../test/support/sample-networks.ts'), [RESTRICTED]],
  // Node built-ins in runtime-neutral code: node:* in any form, and bare names.
  ['protocol/addressing/node-fs.ts', use('node:fs'), [RESTRICTED, NODE]],
  ['src/feed/node-net-type.ts', useType('node:net'), [RESTRICTED]],
  ['src/feed/node-dynamic.ts', `export const load = () => import('node:fs');\n`, [RESTRICTED, NODE]],
  ['src/auth/bare-crypto.ts', use('crypto'), [NODE, PROTOCOL]],
  // The web console (browser code) → src/ | agent/ | test/ | Node built-ins.
  ['console/src/views/to-src.ts', use('../../../src/config.ts'), [RESTRICTED]],
  ['console/src/api/to-agent-type.ts', useType('../../../agent/model.ts'), [RESTRICTED]],
  ['console/src/model/to-test.ts', use('../../../test/support/model.ts'), [RESTRICTED]],
  ['console/src/model/node-fs.ts', use('node:fs'), [RESTRICTED, NODE]],
  ['console/src/model/to-src.test.ts', use('../../../src/config.ts'), [RESTRICTED]],

  // Allowed.
  ['src/feed/ok.ts', use('../../protocol/model.ts'), []],
  ['agent/dns/ok.ts', `${use('../../protocol/dns/zone.ts')}export { readFileSync } from 'node:fs';\n`, []],
  ['agent/reconcile/ok.ts', use('./test-scenarios.ts'), []],
  ['src/node.ts', use('node:fs'), []],
  ['src/node/ok.ts', use('node:net'), []],
  ['src/feed/ok.test.ts', `${use('../../test/support/model.ts')}export { readFileSync } from 'node:fs';\n`, []],
  ['agent/dns/ok.test.ts', use('../../test/support/sample-networks.ts'), []],
  ['protocol/dns/ok.test.ts', `${use('../../test/support/sample-networks.ts')}export { readFileSync } from 'node:fs';\n`, []],
  ['console/src/model/ok.ts', useType('../../../protocol/model.ts'), []],
  ['console/src/model/ok.test.ts', `${use('./ok.ts')}export { readFileSync } from 'node:fs';\n`, []],
  ['console/vite.config.ts', use('node:url'), []],
  ['test/support/ok.ts', `${use('../../src/config.ts')}export { c } from '../../agent/config.ts';\nexport { readFileSync } from 'node:fs';\n`, []],
];

interface Diagnostic {
  category: string;
  location: { path: string };
}

let dir: string;
let found: Map<string, string[]>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-layers-'));
  copyFileSync(join(ROOT, 'biome.jsonc'), join(dir, 'biome.jsonc'));
  for (const [path, source] of CASES) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  // The scratch tree is no git checkout: VCS integration off, every file linted.
  const run = spawnSync(BIOME, ['lint', '--vcs-enabled=false', '--reporter=json', '--max-diagnostics=none', '.'], { cwd: dir, encoding: 'utf8' });
  const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  found = new Map();
  for (const d of report.diagnostics) found.set(d.location.path, [...(found.get(d.location.path) ?? []), d.category]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('layering rules (biome.jsonc)', () => {
  it.each(CASES)('%s', (path, _source, rules) => {
    expect([...new Set(found.get(path) ?? [])].sort()).toEqual([...rules].sort());
  });

  it('reports nothing for a file that is not a probe', () => {
    expect([...found.keys()].filter((path) => !CASES.some(([p]) => p === path))).toEqual([]);
  });
});
