/**
 * The Yoga plugin behind the GraphQL metrics (docs/operations.md): every HTTP answer is counted once
 * by operation name, type and outcome code, with its latency; every subscription stream, on either
 * transport, is counted open while it runs. Runtime-neutral: it only calls the Telemetry interface.
 *
 * The outcome code is 'OK', or the first error's `extensions.code` (the codes of README's list), so
 * a refused query (GRAPHQL_PARSE_FAILED, BAD_USER_INPUT) and a fault (INTERNAL_SERVER_ERROR) are
 * told apart. An operation that never reached execution (a parse or validation failure) is named
 * `_invalid`. A query or mutation over graphql-ws has no HTTP request: it is timed from the start to
 * the end of its execution (one refused before execution, by parse or validation, is not counted).
 */
import { type DocumentNode, type ExecutionResult, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationLabeller, type StreamTransport, type Telemetry } from './telemetry.ts';

interface OperationInfo {
  name: string;
  type: string;
  /** The first root field: for a subscription, the feed's kind (hostChanges, projectChanges). */
  root: string;
}

const firstCode = (result: ExecutionResult): string => {
  const error = result.errors?.[0];
  if (!error) return 'OK';
  const code = error.extensions?.code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'INTERNAL_SERVER_ERROR';
};

/** Counts an async iterator as an open stream until it ends or its consumer returns. */
function countedStream<T>(source: AsyncIterable<T>, onEnd: () => void): AsyncIterableIterator<T> {
  const inner = source[Symbol.asyncIterator]();
  let open = true;
  const end = () => {
    if (open) (open = false), onEnd();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      try {
        const next = await inner.next();
        if (next.done) end();
        return next;
      } catch (error) {
        end();
        throw error;
      }
    },
    async return() {
      end();
      return (await inner.return?.()) ?? { done: true, value: undefined };
    },
  };
}

/** The plugin; `now` returns seconds (performance.now()/1000 by default). */
export function telemetryPlugin(telemetry: Telemetry, now: () => number = () => performance.now() / 1000): Plugin {
  const label = operationLabeller();
  const started = new WeakMap<Request, number>();
  const operations = new WeakMap<object, OperationInfo>();
  const describe = (document: DocumentNode, operationName: string | null | undefined): OperationInfo => {
    const op = getOperationAST(document, operationName);
    const roots = op?.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])) ?? [];
    return { name: label(operationName ?? op?.name?.value, roots), type: op?.operation ?? 'unknown', root: roots[0] ?? '_none' };
  };
  const remember = (contextValue: unknown, document: DocumentNode, operationName: string | null | undefined) => {
    const request = (contextValue as { request?: Request }).request;
    const info = describe(document, operationName);
    if (request) operations.set(request, info);
    return info;
  };
  return {
    onRequest({ request }) {
      started.set(request, now());
    },
    onExecute({ args }) {
      const info = remember(args.contextValue, args.document, args.operationName);
      if ((args.contextValue as { request?: Request }).request) return; // HTTP: timed by onRequest … onResultProcess
      const t0 = now();
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in (result as object)) return;
          telemetry.graphqlOperation(info.name, info.type, firstCode(result as ExecutionResult), now() - t0);
        },
      };
    },
    onSubscribe({ args }) {
      const info = remember(args.contextValue, args.document, args.operationName);
      const request = (args.contextValue as { request?: Request }).request;
      const transport: StreamTransport = request ? 'sse' : 'ws';
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in result)) return;
          telemetry.feedStream(info.root, transport, 1);
          setResult(countedStream(result, () => telemetry.feedStream(info.root, transport, -1)));
        },
      };
    },
    onResultProcess({ request, result }) {
      const t0 = started.get(request);
      if (t0 === undefined) return;
      started.delete(request); // once per request, even if Yoga processes several results
      const info = operations.get(request) ?? { name: '_invalid', type: 'unknown', root: '_none' };
      const code = Array.isArray(result)
        ? firstCode(result[0] ?? {})
        : Symbol.asyncIterator in (result as object)
          ? 'OK'
          : firstCode(result as ExecutionResult);
      telemetry.graphqlOperation(info.name, info.type, code, now() - t0);
    },
  };
}
