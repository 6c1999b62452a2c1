import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { sharedSubscriptionResults } from './graphql-shared-results.ts';

/**
 * A tiny schema whose subscription yields the same event objects to every stream (as the watch
 * cache does with its rows), and counts how often the event's fields are resolved.
 */
function harness() {
  const events = [{ id: 'e1' }, { id: 'e2' }];
  let resolved = 0;
  const schema = createSchema<{ role: string }>({
    typeDefs: /* GraphQL */ `
      type Event { id: String! label(prefix: String): String! seenBy: String! }
      type Query { ok: Boolean }
      type Subscription { ticks(stream: Int!): Event! other: Event! }
    `,
    resolvers: {
      Event: {
        id: (e: { id: string }) => (resolved++, e.id),
        label: (e: { id: string }, args: { prefix?: string }) => `${args.prefix ?? ''}${e.id}`,
        seenBy: (_e: unknown, _a: unknown, ctx: { role: string }) => ctx.role,
      },
      Subscription: {
        ticks: {
          subscribe: async function* () {
            for (const e of events) yield e;
          },
          resolve: (e: unknown) => e,
        },
        other: {
          subscribe: async function* () {
            for (const e of events) yield e;
          },
          resolve: (e: unknown) => e,
        },
      },
    },
  });
  const yoga = createYoga<{ role: string }>({
    schema,
    context: ({ request }) => ({ role: request.headers.get('x-role') ?? 'user' }),
    plugins: [sharedSubscriptionResults<{ role: string }>({ fields: new Set(['ticks']), sharedKey: (e) => e as object, audienceOf: (c) => c.role })],
  });
  const subscribe = async (query: string, variables: Record<string, unknown>, role = 'user') => {
    const response = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-role': role },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)))
      .filter((d) => d.data);
  };
  return { subscribe, resolved: () => resolved };
}

describe('sharedSubscriptionResults', () => {
  const Q = 'subscription($s: Int!) { ticks(stream: $s) { id label(prefix: "#") seenBy } }';

  it('resolves an event once for every stream of the same shape, whatever the root arguments', async () => {
    const h = harness();
    const a = await h.subscribe(Q, { s: 1 });
    const b = await h.subscribe(Q, { s: 2 });
    expect(a).toEqual([{ data: { ticks: { id: 'e1', label: '#e1', seenBy: 'user' } } }, { data: { ticks: { id: 'e2', label: '#e2', seenBy: 'user' } } }]);
    expect(b).toEqual(a);
    expect(h.resolved()).toBe(2);
  });

  it('executes again for another audience, for variables used below the root, and for fields not listed', async () => {
    const h = harness();
    await h.subscribe(Q, { s: 1 });
    const admin = await h.subscribe(Q, { s: 1 }, 'admin');
    expect(admin[0]).toEqual({ data: { ticks: { id: 'e1', label: '#e1', seenBy: 'admin' } } });
    expect(h.resolved()).toBe(4);
    const P = 'subscription($s: Int!, $p: String) { ticks(stream: $s) { id label(prefix: $p) } }';
    const x = await h.subscribe(P, { s: 1, p: 'x' });
    const y = await h.subscribe(P, { s: 1, p: 'y' });
    expect(x.map((e) => e.data.ticks.label)).toEqual(['xe1', 'xe2']);
    expect(y.map((e) => e.data.ticks.label)).toEqual(['ye1', 'ye2']);
    expect(h.resolved()).toBe(8);
    await h.subscribe('subscription { other { id } }', {});
    await h.subscribe('subscription { other { id } }', {});
    expect(h.resolved()).toBe(12);
  });
});
