/**
 * Prints the GraphQL schema (types and fields sorted) to schema.graphql (`--write`), or checks that
 * the committed file is current (`--check`, exit 1 when stale). CI runs the check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.ts';

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
