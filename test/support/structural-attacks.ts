/**
 * Structural attacks on the GraphQL endpoint (issue 13): requests that are small or cheap to send and
 * expensive to parse, validate or execute. Each must be refused with a coded error, whoever sends
 * it; the API suite checks that (test/api/structural-attacks.test.ts) and `npm run bench -- edge`
 * times the refusals against a running server while it polls /healthz.
 */

export interface StructuralAttack {
  name: string;
  /** The JSON body of the POST /graphql request, as sent (some cannot be built with JSON.stringify). */
  json: string;
  /** The `extensions.limit` of the refusal, when a structural limit (src/limits.ts) is what refuses it. */
  limit?: 'nesting' | 'tokens' | 'depth' | 'cost' | 'introspection';
}

/** The query of issue 13: fragment F<k> spreads F<k-1> ten times; F0 selects `__typename`. */
export function fragmentFanOut(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, j) => `fragment F${j + 1} on Query { ${Array(10).fill(`...F${j}`).join(' ')} }`);
  return `query { ...F${levels} } ${fragments.join(' ')} fragment F0 on Query { __typename }`;
}

const nested = (open: string, close: string, depth: number, inner: string) => open.repeat(depth) + inner + close.repeat(depth);
const cursor = (offset: string) => Buffer.from(`OffsetConnection:${offset}`).toString('base64');
/** A request body; `variables` is JSON text, so that it may nest deeper than JSON.stringify can. */
const body = (query: string, variables = 'null') => `{"query":${JSON.stringify(query)},"variables":${variables}}`;

export const STRUCTURAL_ATTACKS: StructuralAttack[] = [
  ...[6, 7, 8, 9, 10, 11, 12].map((levels) => ({ name: `fragment fan-out, ${levels} levels`, json: body(fragmentFanOut(levels)), limit: 'cost' as const })),
  { name: 'alias bomb: 2,001 aliased __typename', json: body(`{ ${Array.from({ length: 2001 }, (_, i) => `a${i}: __typename`).join(' ')} }`), limit: 'cost' },
  { name: 'same field 4,000 times', json: body(`{ ${Array(4000).fill('__typename').join(' ')} }`), limit: 'cost' },
  {
    name: 'aliases past the token limit (40,000)',
    json: body(`{ ${Array.from({ length: 40_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`),
    limit: 'tokens',
  },
  { name: 'selections nested 2,000 deep', json: body(nested('{ a ', ' }', 2000, '{ b }')), limit: 'nesting' },
  { name: 'selections nested 30,000 deep', json: body(nested('{ a ', ' }', 30_000, '{ b }')), limit: 'nesting' },
  { name: 'list literal nested 30,000 deep', json: body(`{ project(id: ${nested('[', ']', 30_000, '1')}) { id } }`), limit: 'nesting' },
  { name: 'object literal nested 30,000 deep', json: body(`{ project(id: ${nested('{a: ', '}', 30_000, '1')}) { id } }`), limit: 'nesting' },
  { name: 'list literal of 100,000 items', json: body(`{ project(id: [${Array(100_000).fill('1').join(',')}]) { id } }`), limit: 'tokens' },
  { name: '3,000 directives on one field', json: body(`{ __typename ${Array(3000).fill('@skip(if: false)').join(' ')} }`), limit: 'tokens' },
  {
    name: 'depth past the limit through fragments',
    json: body(
      `{ ...A } fragment A on Query { projects { edges { node { network { containers { edges { node { host { containers { edges { node { network { id } } } } } } } } } } } } }`,
    ),
    limit: 'depth',
  },
  {
    name: 'introspection lists multiplied',
    json: body(`{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`),
    limit: 'introspection',
  },
  { name: 'fragment cycle', json: body(`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`) },
  {
    name: 'variable nested 30,000 deep',
    json: body(`query($i: CreateProjectInput!) { createProject(input: $i) { project { id } } }`, `{"i":${nested('[', ']', 30_000, '1')}}`),
  },
  { name: 'cursor past SQLite integers', json: body(`{ projects(after: "${cursor('99999999999999999999999')}") { edges { node { id } } } }`) },
  { name: 'cursor of 500,000 characters', json: body(`{ projects(after: "${'QUJD'.repeat(125_000)}") { edges { node { id } } } }`) },
];
