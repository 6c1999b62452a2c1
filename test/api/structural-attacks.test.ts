/**
 * Issue 13: structural attacks (fragment fan-out, alias bombs, deep nesting, big lists, huge
 * cursors) are refused with a coded error, by an anonymous caller and by an admin alike, and the API
 * keeps answering afterwards. How long a refusal takes is measured by `npm run bench -- edge`.
 */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bracketDepth, measureDocument, parseWithin } from '../../src/limits.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { fragmentFanOut, STRUCTURAL_ATTACKS } from '../support/structural-attacks.ts';

type Result = { data?: unknown; errors?: { message: string; extensions?: { code?: string; limit?: string } }[] };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

async function post(body: unknown, token: string | null): Promise<{ status: number; json: Result }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await api.fetch(
    new Request('http://weft.test/graphql', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  );
  return { status: response.status, json: (await response.json()) as Result };
}

describe('issue 13: structural attacks are refused with a code', () => {
  for (const attack of STRUCTURAL_ATTACKS) {
    it(attack.name, async () => {
      for (const token of [null, api.admin]) {
        const { json } = await post(attack.json, token);
        expect(json.data ?? null).toBeNull();
        expect(json.errors?.length).toBeGreaterThan(0);
        const codes = json.errors!.map((e) => e.extensions?.code);
        if (attack.limit) {
          expect(json.errors).toHaveLength(1);
          expect(json.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: attack.limit });
        } else if (token) {
          expect(codes.every((c) => c === 'BAD_USER_INPUT' || c === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
        } else {
          expect(codes.every((c) => c === 'BAD_USER_INPUT' || c === 'GRAPHQL_VALIDATION_FAILED' || c === 'UNAUTHENTICATED')).toBe(true);
        }
      }
      expect((await post({ query: '{ __typename }' }, null)).json.data).toEqual({ __typename: 'Query' });
    });
  }
});

describe('the limits do not refuse what clients really send', () => {
  it('the stock introspection query, with every option GraphiQL uses', async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const { json } = await post({ query }, null);
    expect(json.errors).toBeUndefined();
  });

  it('fragment fan-out under the cost limit still runs (3 levels = 1,000 selections)', async () => {
    const { json } = await post({ query: fragmentFanOut(3) }, null);
    expect(json.errors).toBeUndefined();
    expect(json.data).toEqual({ __typename: 'Query' });
  });
});

describe('limits, pure', () => {
  it.each([
    ['{ a }', 1],
    ['{ a { b(x: [1, {y: 2}]) } }', 5],
    ['{ a(s: "{{{{[[[[((((") }', 2],
    ['{ a(s: """ {{{ \\""" {{{ """) }', 2],
    ['# {{{{{\n{ a }', 1],
    ['{ a(s: "\\"{{{{") }', 2],
  ])('bracketDepth(%j) = %i', (source, depth) => {
    expect(bracketDepth(source, 64)).toBe(depth);
  });

  it('stops at the first depth past the limit', () => {
    expect(bracketDepth('['.repeat(100_000), 64)).toBe(65);
  });

  it('measures the 12-level fan-out in one pass per fragment and refuses it on cost', () => {
    const refusal = measureDocument(parseWithin(fragmentFanOut(12), { maxNesting: 64, maxTokens: 15_000 }), { maxDepth: 12, maxCost: 2000 });
    expect(refusal?.message).toBe('query selects more than 2000 fields, the limit');
  });

  it('counts meta-fields: 2,000 __typename pass, 2,001 do not', () => {
    const of = (n: number) =>
      measureDocument(parseWithin(`{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`, { maxNesting: 64, maxTokens: 50_000 }), {
        maxDepth: 12,
        maxCost: 2000,
      });
    expect(of(2000)).toBeNull();
    expect(of(2001)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' });
  });
});
