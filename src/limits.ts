/**
 * Query limits (DESIGN §6): depth, and a cost bound on the number of field selections an operation
 * may request (fragments expanded). Applied as GraphQL validation rules, before execution.
 */
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

function measure(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, depth: number, seen: Set<string>): { depth: number; cost: number } {
  if (!set) return { depth, cost: 0 };
  let maxDepth = depth;
  let cost = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value.startsWith('__')) continue;
      const inner = measure(sel.selectionSet, fragments, depth + 1, seen);
      maxDepth = Math.max(maxDepth, inner.depth);
      cost += 1 + inner.cost;
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const inner = measure(sel.selectionSet, fragments, depth, seen);
      maxDepth = Math.max(maxDepth, inner.depth);
      cost += inner.cost;
    } else {
      const name = sel.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue; // cycles are reported by graphql's own rules
      const inner = measure(fragment.selectionSet, fragments, depth, new Set([...seen, name]));
      maxDepth = Math.max(maxDepth, inner.depth);
      cost += inner.cost;
    }
  }
  return { depth: maxDepth, cost };
}

/** A validation rule rejecting operations deeper than `maxDepth` or selecting more than `maxCost` fields. */
export function limitRule(maxDepth: number, maxCost: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(context.getDocument().definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    return {
      OperationDefinition(node) {
        const { depth, cost } = measure(node.selectionSet, fragments, 0, new Set());
        if (depth > maxDepth) context.reportError(new GraphQLError(`query depth ${depth} exceeds the limit of ${maxDepth}`, { nodes: [node], extensions: { code: 'BAD_USER_INPUT' } }));
        if (cost > maxCost) context.reportError(new GraphQLError(`query selects ${cost} fields, more than the limit of ${maxCost}`, { nodes: [node], extensions: { code: 'BAD_USER_INPUT' } }));
      },
    };
  };
}
