/**
 * The agent report route checks its body with its own description of ReportHostStatusInput
 * (protocol/agent-report.ts, REPORT), not with GraphQL. This holds the two to each other: every
 * field, nested input, list, scalar and required mark of the schema's input type, and no other.
 * A field added to the mutation's input and not to the route's (or the other way) fails here.
 */
import { type GraphQLInputType, isInputObjectType, isListType, isNonNullType, isScalarType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { type Kind, REPORT, type Shape } from '../../protocol/agent-report.ts';
import { schema } from '../../src/schema/index.ts';

const SCALARS: Record<string, Kind> = { ID: 'id', Int: 'int', Float: 'float', Boolean: 'boolean', String: 'string' };

function kindOf(type: GraphQLInputType): Shape[string]['kind'] {
  if (isNonNullType(type)) return kindOf(type.ofType);
  if (isListType(type)) {
    const item = isNonNullType(type.ofType) ? type.ofType.ofType : type.ofType;
    if (!isInputObjectType(item)) throw new Error(`a list of ${String(item)}: the route lists only inputs`);
    return [shapeOf(item.name)];
  }
  if (isInputObjectType(type)) return shapeOf(type.name);
  if (isScalarType(type) && SCALARS[type.name]) return SCALARS[type.name];
  throw new Error(`${String(type)}: no route kind for it`);
}

function shapeOf(name: string): Shape {
  const type = schema.getType(name);
  if (!isInputObjectType(type)) throw new Error(`${name} is not an input type`);
  const shape: Shape = {};
  for (const [field, f] of Object.entries(type.getFields())) shape[field] = { kind: kindOf(f.type), ...(isNonNullType(f.type) ? { required: true } : {}) };
  return shape;
}

describe('the agent report route and the reportHostStatus mutation', () => {
  it('check the same input: ReportHostStatusInput field for field', () => {
    expect(REPORT).toEqual(shapeOf('ReportHostStatusInput'));
  });
});
