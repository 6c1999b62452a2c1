/**
 * Issue 13: a property-based fuzz over every mutation's input (fast-check, fixed seed, bounded
 * runs). Each call sends one mutation with generated variables: mostly well-typed values (real ids of
 * a seeded world among them), sometimes values of the wrong type, unknown input fields, numbers past
 * 2^31 or nulls. Whatever comes back:
 * - every error carries a code a client may see (src/graphql-errors.ts, CLIENT_CODES), never a
 *   masked INTERNAL_SERVER_ERROR;
 * - a call that failed wrote nothing: no change row, no row in any table;
 * - nothing was logged with a stack trace (a client's mistake is not a fault of the server).
 */
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import {
  type GraphQLInputType,
  type GraphQLArgument,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  getNamedType,
  isObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLIENT_CODES } from '../../src/graphql-errors.ts';
import { schema } from '../../src/schema/index.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi, type TestApi } from '../support/api.ts';

const SEED = 13;
const RUNS = 1000;

let api: TestApi;
let ids: string[];

beforeAll(async () => {
  api = await startTestApi();
  const world = await seedWorld(api, { hosts: 2 });
  const container = await api.ok(CREATE_CONTAINER, { i: { applicationId: world.applicationId, processType: 'web', hostId: world.hostIds[0] } });
  ids = [world.projectId, world.networkId, world.applicationId, ...world.hostIds, container.createContainer.container.id];
});
afterAll(() => api?.close());

/** Every table's row count: a failed call must leave all of them as they were. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = await api.db.read.all<{ name: string }>(
    sql`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) counts[name] = (await api.db.read.all<{ n: number }>(sql.raw(`select count(*) as n from "${name}"`)))[0].n;
  return counts;
}

const junk = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.string(),
  fc.constant({}),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.constant(2 ** 31),
  fc.constant(-1),
);

/** Values for an input type: well-typed most of the time, the wrong type or shape sometimes. */
function arbitraryFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  const typed = ((): fc.Arbitrary<unknown> => {
    if (isNonNullType(type)) return arbitraryFor(type.ofType, depth);
    if (isListType(type)) return fc.array(arbitraryFor(type.ofType, depth + 1), { maxLength: 3 });
    if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((v) => v.name), 'NOT_A_VALUE');
    if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields());
      const record = Object.fromEntries(fields.map((f) => [f.name, depth > 3 ? fc.constant(null) : arbitraryFor(f.type, depth + 1)]));
      return fc
        .tuple(
          fc.record(record, { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) }),
          fc.option(fc.string({ minLength: 1, maxLength: 8 }), { freq: 30 }),
        )
        .map(([value, extra]) => (extra ? { ...value, [extra]: 1 } : value));
    }
    if (isScalarType(type)) {
      switch (type.name) {
        case 'ID':
          return fc.oneof({ arbitrary: fc.constantFrom(...ids), weight: 6 }, { arbitrary: fc.string({ maxLength: 70 }), weight: 1 });
        case 'Int':
          return fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.constantFrom(2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53));
        case 'Float':
          return fc.double();
        case 'Boolean':
          return fc.oneof(fc.boolean(), fc.constant('true'));
        case 'String':
          return fc.oneof(
            fc.string({ maxLength: 70 }),
            fc.constantFrom('web', 'worker', 'https://example.com/hook', '10.240.0.0/22', '192.0.2.9:51820', 'a'.repeat(300)),
          );
        default:
          return junk;
      }
    }
    return junk;
  })();
  return fc.oneof({ arbitrary: typed, weight: 30 }, { arbitrary: junk, weight: 1 });
}

function selectionFor(type: ReturnType<typeof getNamedType>): string {
  return isObjectType(type) ? ' { __typename }' : '';
}

const mutations = Object.values(schema.getMutationType()!.getFields());

describe('issue 13: fuzzing every mutation input', () => {
  it(`${mutations.length} mutations, ${RUNS} calls, seed ${SEED}: coded errors, no writes on failure, no stacks logged`, async () => {
    const logged = vi.spyOn(console, 'error');
    const call = fc.constantFrom(...mutations.map((m) => m.name)).chain((name) => {
      const field = mutations.find((m) => m.name === name)!;
      return fc
        .record(Object.fromEntries(field.args.map((a: GraphQLArgument) => [a.name, arbitraryFor(a.type)])), { requiredKeys: [] })
        .map((variables) => ({ field, variables }));
    });
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(call, fc.integer({ min: 0, max: 9 }), async ({ field, variables }, actor) => {
        const anonymous = actor === 0;
        const declared = field.args.map((a) => `$${a.name}: ${a.type}`).join(', ');
        const passed = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
        const query = `mutation${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selectionFor(getNamedType(field.type))} }`;
        const before = await rowCounts();
        logged.mockClear();
        const result = await api.gql(query, variables, anonymous ? null : api.admin);
        for (const error of result.errors ?? [])
          expect(CLIENT_CODES, `${field.name} ${JSON.stringify(variables)}: ${error.message}`).toContain(error.extensions?.code);
        if (result.errors?.length) {
          failures++;
          expect(await rowCounts(), `${field.name} failed but wrote: ${JSON.stringify(variables)}`).toEqual(before);
        }
        const stacks = logged.mock.calls.filter((args) => args.some((a) => a instanceof Error || /\n\s+at /.test(String(a))));
        expect(stacks, `${field.name} logged a stack`).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    logged.mockRestore();
    expect(failures).toBeGreaterThan(RUNS / 4); // the fuzz reaches the error paths, not only the happy ones
  }, 240_000);
});
