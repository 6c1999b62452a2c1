/**
 * Structural limits of a GraphQL request (docs/security.md, "Limits"). They run before anything
 * else looks at the request, in two steps, and each refuses with a coded error the moment a limit is
 * passed, so the work done for a hostile request is bounded by its size, never by what it expands to:
 *
 * 1. `parseWithin`, instead of graphql's `parse`: a linear pre-scan refuses brackets nested deeper
 *    than `maxNesting` (graphql's recursive-descent parser overflows the stack on a few thousand
 *    levels of `{`, `[` or `(`), then `parse` runs with `maxTokens`.
 * 2. `measureDocument`, before graphql's validation rules: the depth and cost (field selections,
 *    fragments expanded, meta-fields such as `__typename` included) of every operation. Each
 *    fragment is measured once and memoised by name, so a fragment spread ten times at each of
 *    eight levels costs eight measurements, not 10^8 walks (the 731-byte query of issue 13 blocked
 *    the event loop for 38 s). When a limit is passed, graphql's own rules do not run at all.
 *
 * Introspection (`__schema`, `__type`) is exempt from the depth limit, which the stock introspection
 * query (depth 15) would fail, and bounded instead by the number of list fields on one path: the
 * stock query needs three (`types → fields → args`); `fields { type { fields … } }` chains, whose
 * answers multiply, are refused.
 */
import { GraphQLError, Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxTokens: number;
  maxNesting: number;
}

/** The limits that are not settings (docs/security.md gives the reasons for each number). */
export const FIXED_LIMITS = { maxCost: 2000, maxTokens: 15_000, maxNesting: 64, maxIntrospectionLists: 3 } as const;

/** Introspection fields whose answers are lists of objects: each level multiplies the answer. */
const INTROSPECTION_LISTS = new Set(['types', 'fields', 'args', 'inputFields', 'interfaces', 'possibleTypes', 'enumValues', 'directives']);

type Limit = 'nesting' | 'tokens' | 'depth' | 'cost' | 'introspection';

function refusal(limit: Limit, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', limit } });
}

/**
 * The deepest bracket nesting of a GraphQL source, or the first depth past `max`, skipping strings,
 * block strings and comments. Linear and allocation-free.
 */
export function bracketDepth(source: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x23 /* # */) {
      while (i < source.length && source.charCodeAt(i) !== 0x0a && source.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22 /* " */) {
      if (source.startsWith('"""', i)) {
        for (i += 3; i < source.length && !source.startsWith('"""', i); i++) if (source.startsWith('\\"""', i)) i += 3; // an escaped \"""
        i += 2;
      } else {
        for (i++; i < source.length && source.charCodeAt(i) !== 0x22 && source.charCodeAt(i) !== 0x0a; i++) if (source.charCodeAt(i) === 0x5c) i++;
      }
    } else if (c === 0x7b || c === 0x5b || c === 0x28 /* { [ ( */) {
      if (++depth > deepest) deepest = depth;
      if (deepest > max) return deepest;
    } else if (c === 0x7d || c === 0x5d || c === 0x29 /* } ] ) */) {
      depth--;
    }
  }
  return deepest;
}

/** graphql's `parse`, refusing over-nested and over-long sources before or while parsing. */
export function parseWithin(source: string, limits: Pick<QueryLimits, 'maxNesting' | 'maxTokens'>): DocumentNode {
  if (bracketDepth(source, limits.maxNesting) > limits.maxNesting)
    throw refusal('nesting', `query nests brackets deeper than the limit of ${limits.maxNesting}`);
  try {
    return parse(source, { maxTokens: limits.maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError && /Document contains more th\w+ \d+ tokens/.test(error.message))
      throw refusal('tokens', `query has more than ${limits.maxTokens} tokens, the limit`);
    throw error;
  }
}

interface Measure {
  depth: number; // deepest field below the selection set's own level (introspection not counted)
  cost: number; // field selections, fragments expanded
  lists: number; // most introspection list fields on one path
}

class Exceeded extends Error {
  constructor(readonly refusal: GraphQLError) {
    super(refusal.message);
  }
}

/**
 * Measures every operation of a parsed document against the limits; returns the refusal of the first
 * limit passed, or null. Unknown fragments and fragment cycles measure as empty: graphql's own rules
 * report them once the document is within the limits.
 */
export function measureDocument(document: DocumentNode, limits: Pick<QueryLimits, 'maxDepth' | 'maxCost'>): GraphQLError | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, Measure>();
  const inProgress = new Set<string>();
  const empty: Measure = { depth: 0, cost: 0, lists: 0 };

  const check = (m: Measure, base: number) => {
    if (base + m.depth > limits.maxDepth) throw new Exceeded(refusal('depth', `query depth ${base + m.depth} exceeds the limit of ${limits.maxDepth}`));
    if (m.cost > limits.maxCost) throw new Exceeded(refusal('cost', `query selects more than ${limits.maxCost} fields, the limit`));
    if (m.lists > FIXED_LIMITS.maxIntrospectionLists)
      throw new Exceeded(refusal('introspection', `introspection nests more than ${FIXED_LIMITS.maxIntrospectionLists} lists on one path, the limit`));
  };

  const fragment = (name: string): Measure => {
    const known = memo.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || inProgress.has(name)) return empty;
    inProgress.add(name);
    const m = selections(definition.selectionSet, definition.typeCondition.name.value.startsWith('__'));
    inProgress.delete(name);
    memo.set(name, m);
    return m;
  };

  // `base` is the depth of the enclosing field: only used to stop a deep query early.
  const selections = (set: SelectionSetNode | undefined, introspection: boolean, base = 0): Measure => {
    const total: Measure = { depth: 0, cost: 0, lists: 0 };
    for (const sel of set?.selections ?? []) {
      let inner: Measure;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        const below = introspection || name === '__schema' || name === '__type';
        const step = introspection ? 0 : 1;
        const child = selections(sel.selectionSet, below, base + step);
        inner = { depth: child.depth + step, cost: child.cost + 1, lists: child.lists + (introspection && INTROSPECTION_LISTS.has(name) ? 1 : 0) };
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        inner = selections(sel.selectionSet, introspection || !!sel.typeCondition?.name.value.startsWith('__'), base);
      } else {
        inner = fragment(sel.name.value);
      }
      total.depth = Math.max(total.depth, inner.depth);
      total.cost += inner.cost;
      total.lists = Math.max(total.lists, inner.lists);
      check(total, base);
    }
    return total;
  };

  try {
    for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION) check(selections(d.selectionSet, false), 0);
    return null;
  } catch (error) {
    if (error instanceof Exceeded) return error.refusal;
    throw error;
  }
}
