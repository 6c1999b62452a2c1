/**
 * One execution per change and subscription shape (docs/architecture.md §8.5). A change that
 * concerns a hundred hosts reaches a hundred streams as the same row object (the watch cache's
 * window), and every agent subscribes with the same document. Executing the selection set against
 * that row a hundred times gives a hundred equal results: this plugin executes it once per shape and
 * hands the same result to every stream of that shape.
 *
 * A shape is what the result can depend on besides the row: the document, the operation, the values
 * of variables used below the root field (those of the root field's own arguments only chose the
 * stream), and what the caller may see (`audienceOf`, e.g. whether it sees host placement). Events
 * that are not shared rows (CURSOR, RESYNC, rows read from the table for one stream) execute as
 * usual. Only the subscription fields named in `fields` take part.
 */
import {
  type ASTNode,
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  getOperationAST,
  type OperationDefinitionNode,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface SharedResultsOptions<C> {
  /** Root subscription fields whose events may be shared. */
  fields: ReadonlySet<string>;
  /** The object shared by every stream that receives the same event, or null to execute alone. */
  sharedKey(event: unknown): object | null;
  /** What the caller may see, as far as the shared fields' resolvers depend on it. */
  audienceOf(context: C): string;
  /** How many recent shared events keep their results (oldest dropped first). */
  capacity?: number;
}

type Result = ExecutionResult | Promise<ExecutionResult>;

/** How often each variable is used under `node`. */
function variableUses(node: ASTNode): Map<string, number> {
  const uses = new Map<string, number>();
  visit(node, { Variable: (v) => void uses.set(v.name.value, (uses.get(v.name.value) ?? 0) + 1) });
  return uses;
}

/** Variables used anywhere but in the root field's own arguments: they are part of the shape. */
function shapeVariables(operation: OperationDefinitionNode): string[] {
  const inRootArguments = new Map<string, number>();
  for (const selection of operation.selectionSet.selections)
    if (selection.kind === 'Field')
      for (const argument of selection.arguments ?? [])
        for (const [name, n] of variableUses(argument)) inRootArguments.set(name, (inRootArguments.get(name) ?? 0) + n);
  return [...variableUses(operation.selectionSet)].filter(([name, n]) => n > (inRootArguments.get(name) ?? 0)).map(([name]) => name);
}

/** The root field of a one-field subscription, or null. */
function rootField(operation: OperationDefinitionNode): string | null {
  const [only, ...more] = operation.selectionSet.selections;
  return only?.kind === 'Field' && more.length === 0 ? only.name.value : null;
}

export function sharedSubscriptionResults<C>(options: SharedResultsOptions<C>): Plugin<C & Record<string, unknown>> {
  const capacity = options.capacity ?? 4096;
  const documents = new WeakMap<DocumentNode, number>();
  let nextDocument = 0;
  const results = new Map<object, Map<string, Result>>(); // insertion order: oldest first

  const resultFor = (args: ExecutionArgs, event: unknown, shape: string): Result => {
    const key = options.sharedKey(event);
    if (!key) return execute({ ...args, rootValue: event });
    let byShape = results.get(key);
    const known = byShape?.get(shape);
    if (known) return known;
    if (!byShape) {
      results.set(key, (byShape = new Map()));
      if (results.size > capacity) results.delete(results.keys().next().value as object);
    }
    const result = execute({ ...args, rootValue: event });
    byShape.set(shape, result);
    return result;
  };

  return {
    onSubscribe({ args, setSubscribeFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      const field = operation && rootField(operation);
      if (!operation || !field || !options.fields.has(field)) return;
      let id = documents.get(args.document);
      if (id === undefined) documents.set(args.document, (id = nextDocument++));
      const variables = shapeVariables(operation).map((name) => JSON.stringify(args.variableValues?.[name] ?? null));
      const shape = `${id}|${args.operationName ?? ''}|${options.audienceOf(args.contextValue as C)}|${variables.join(',')}`;
      setSubscribeFn(async (subscribeArgs) => {
        const source = await createSourceEventStream(subscribeArgs as ExecutionArgs);
        if (!(Symbol.asyncIterator in source)) return source;
        const inner = source[Symbol.asyncIterator]();
        const iterator: AsyncIterableIterator<ExecutionResult> = {
          [Symbol.asyncIterator]() {
            return this;
          },
          async next() {
            const step = await inner.next();
            if (step.done) return step;
            return { done: false, value: await resultFor(subscribeArgs as ExecutionArgs, step.value, shape) };
          },
          async return() {
            await inner.return?.();
            return { done: true, value: undefined };
          },
          async throw(error?: unknown) {
            await inner.return?.();
            throw error;
          },
        };
        return iterator;
      });
    },
  };
}
