/**
 * Request limits and transport rules (issue 3, docs/architecture.md §7.3): query depth and cost, body size, the
 * introspection policy, and tokens travelling only in the Authorization header — never in the URL.
 */
import { getIntrospectionQuery } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  api!.fetch(
    new Request(`http://weft.test${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      duplex: 'half',
    } as RequestInit),
  );
type Result = { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };

describe('query limits', () => {
  it('refuses a query deeper than MAX_QUERY_DEPTH with a coded error, fragments included', async () => {
    api = await startTestApi({ MAX_QUERY_DEPTH: '4' });
    const ok = await api.gql(`{ projects { edges { node { id } } } }`); // depth 4
    expect(ok.errors).toBeUndefined();
    const deep = await api.gql(`{ projects { edges { node { network { id } } } } }`); // depth 5
    expect(deep.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(deep.errors?.[0].message).toBe('query depth 5 exceeds the limit of 4');
    expect(deep.data).toBeUndefined(); // refused at validation: nothing ran
    const viaFragments = await api.gql(
      `{ projects { ...E } } fragment E on QueryProjectsConnection { edges { ...N } } fragment N on QueryProjectsConnectionEdge { node { network { id } } }`,
    );
    expect(viaFragments.errors?.[0].message).toBe('query depth 5 exceeds the limit of 4');
    // refused before authentication is even looked at
    const anonymous = await api.gql(`{ projects { edges { node { network { id } } } } }`, {}, null);
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a query selecting too many fields (aliases count)', async () => {
    api = await startTestApi();
    const wide = `{ ${Array.from({ length: 700 }, (_, i) => `p${i}: projects { edges { node { id } } }`).join(' ')} }`;
    const r = await api.gql(wide);
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0].message).toBe('query selects more than 2000 fields, the limit'); // counting stops at the limit
  });

  it('refuses an oversized body with 413 and a coded error, with or without Content-Length', async () => {
    api = await startTestApi({ MAX_BODY_BYTES: '2048' });
    const body = JSON.stringify({ query: `{ __typename } # ${'x'.repeat(3000)}` });
    for (const sent of [body, new Blob([body]).stream()]) {
      const response = await post('/graphql', sent, { authorization: `Bearer ${api.admin}` });
      expect(response.status).toBe(413);
      const json = (await response.json()) as Result;
      expect(json.errors?.[0]).toMatchObject({ message: 'request body larger than 2048 bytes', extensions: { code: 'BAD_USER_INPUT' } });
    }
    const small = await post('/graphql', JSON.stringify({ query: '{ __typename }' }), { authorization: `Bearer ${api.admin}` });
    expect(small.status).toBe(200);
  });
});

describe('introspection policy', () => {
  it('allows introspection by default', async () => {
    api = await startTestApi();
    const r = await api.gql(getIntrospectionQuery());
    expect(r.errors).toBeUndefined();
    expect((r.data as { __schema: { queryType: { name: string } } }).__schema.queryType.name).toBe('Query');
  });

  it('refuses __schema and __type with a coded error when INTROSPECTION=false, but keeps __typename', async () => {
    api = await startTestApi({ INTROSPECTION: 'false' });
    for (const query of [getIntrospectionQuery(), `{ __type(name: "Host") { fields { name } } }`]) {
      const r = await api.gql(query);
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0].message).toMatch(/introspection has been disabled/);
      expect(r.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect((await api.gql(`{ __typename }`)).data).toEqual({ __typename: 'Query' });
  });
});

describe('tokens only in the Authorization header', () => {
  it('ignores tokens in the query string (POST and GET)', async () => {
    api = await startTestApi();
    const token = encodeURIComponent(api.admin);
    const hosts = '{ hosts { edges { node { id } } } }';
    for (const qs of [`token=${token}`, `access_token=${token}`, `authorization=${encodeURIComponent(`Bearer ${api.admin}`)}`]) {
      const viaPost = (await (await post(`/graphql?${qs}`, JSON.stringify({ query: hosts }))).json()) as Result;
      expect(
        viaPost.errors?.map((e) => e.extensions?.code),
        qs,
      ).toEqual(['UNAUTHENTICATED']);
      expect(viaPost.data).toBeNull();
      const viaGet = await api.fetch(
        new Request(`http://weft.test/graphql?query=${encodeURIComponent(hosts)}&${qs}`, { headers: { accept: 'application/json' } }),
      );
      expect(
        ((await viaGet.json()) as Result).errors?.map((e) => e.extensions?.code),
        qs,
      ).toEqual(['UNAUTHENTICATED']);
    }
    // nor in GraphQL extensions or variables
    const inBody = (await (
      await post('/graphql', JSON.stringify({ query: hosts, extensions: { authorization: `Bearer ${api.admin}` }, variables: { token: api.admin } }))
    ).json()) as Result;
    expect(inBody.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    // the header itself works, and must be a Bearer token
    expect(
      ((await (await post('/graphql', JSON.stringify({ query: hosts }), { authorization: `Bearer ${api.admin}` })).json()) as Result).errors,
    ).toBeUndefined();
    const basic = (await (await post('/graphql', JSON.stringify({ query: hosts }), { authorization: `Basic ${btoa('admin:admin')}` })).json()) as Result;
    expect(basic.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(basic.errors?.[0].message).toContain('Bearer');
  });
});
