/**
 * Prints the GraphQL schema (types and fields sorted) to schema.graphql (`--write`), or checks that
 * the committed file is current (`--check`, exit 1 when stale). CI runs the check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.ts';

const USAGE = 'usage: npm run schema:print (--write) | npm run schema:check (--check) | --help\n';
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const unknown = args.find((a) => a !== '--check' && a !== '--write');
if (unknown) {
  process.stderr.write(`print-schema: unknown argument ${JSON.stringify(unknown)}\n${USAGE}`);
  process.exit(2);
}

const file = resolve(dirname(fileURLToPath(import.meta.url)), '../schema.graphql');
const printed = `${printSchema(schema)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current !== printed) {
    console.error('schema.graphql is stale: run `npm run schema:print` and commit it.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
} else {
  writeFileSync(file, printed);
  console.log(`wrote ${file}`);
}
