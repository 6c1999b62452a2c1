/**
 * What a client sees of an error, and what the log sees (docs/security.md, "Errors").
 *
 * A client's mistake is answered with the message that names it and a stable `extensions.code`,
 * and is not logged: a bad variable, a refused limit or a domain error is an answer, not a fault.
 * Anything else is a fault of the server: the client gets "Unexpected error." with
 * INTERNAL_SERVER_ERROR, and the log gets the error with its stack. One function, `clientError`,
 * draws that line for both.
 *
 * Client errors come in three shapes:
 * - a DomainError thrown by a service (its own code and details);
 * - a GraphQLError of graphql itself: parse and validation errors (Yoga's GRAPHQL_PARSE_FAILED and
 *   GRAPHQL_VALIDATION_FAILED), a null for a non-null variable, a refused limit;
 * - a GraphQLError wrapping another one: graphql wraps a variable's coercion error ("Variable "$id"
 *   got invalid value {}; ID cannot represent value: {}"), and the executor wraps errors thrown in a
 *   resolver, such as Pothos's argument checks (`first: -1`, a malformed cursor). The outer error
 *   keeps its message, locations, path and HTTP status (400 for variables); the code is the inner
 *   error's, or BAD_USER_INPUT.
 */
import { GraphQLError } from 'graphql';
import { PothosSchemaError } from '@pothos/core';
import { DomainError } from './domain/errors.ts';
import { consoleLogger, type Logger } from './telemetry.ts';

/** Codes a client may see (README, "The API, by example"; docs/security.md). */
export const CLIENT_CODES = [
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'CONFLICT',
  'NETWORK_FULL',
  'POLICY_TEST_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
] as const;

const locatedAt = (error: unknown) =>
  error instanceof GraphQLError ? { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path } : {};

/** The error as a client should see it when it is the client's mistake; null for a fault of the server. */
export function clientError(error: unknown): GraphQLError | null {
  const inner = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (inner instanceof DomainError) return new GraphQLError(inner.message, { ...locatedAt(error), extensions: { code: inner.code, ...inner.details } });
  if (!(error instanceof GraphQLError) || inner instanceof PothosSchemaError) return null;
  if (inner !== error && !(inner instanceof GraphQLError)) return null; // a resolver's own Error: a fault
  const code = (inner as GraphQLError).extensions?.code ?? error.extensions?.code ?? 'BAD_USER_INPUT';
  if (inner === error && error.extensions?.code) return error;
  return new GraphQLError(error.message, { ...locatedAt(error), extensions: { ...error.extensions, code } });
}

/** Yoga's `maskError`: the client's view of a client error, "Unexpected error." for everything else. */
export function maskError(error: unknown, message: string): Error {
  return (
    clientError(error) ??
    new GraphQLError(message, { ...(error instanceof GraphQLError ? { path: error.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } })
  );
}

/** Yoga's logger: faults of the server only. Yoga logs every error that `maskError` rewrote. */
export function serverFaultLogger(log: Logger = consoleLogger()) {
  const fields = (args: unknown[]) => {
    const errors = args.filter((a): a is Error => a instanceof Error);
    const msg = args.filter((a) => typeof a === 'string').join(' ') || errors[0]?.message || 'graphql';
    return { obj: errors.length ? { err: { message: errors[0].message, stack: errors[0].stack } } : {}, msg, errors };
  };
  return {
    debug: () => {},
    info: (...args: unknown[]) => {
      const f = fields(args);
      log.info(f.obj, f.msg);
    },
    warn: (...args: unknown[]) => {
      const f = fields(args);
      log.warn(f.obj, f.msg);
    },
    error: (...args: unknown[]) => {
      const f = fields(args);
      if (!f.errors.length || f.errors.some((e) => !clientError(e))) log.error(f.obj, f.msg);
    },
  };
}
