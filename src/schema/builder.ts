/**
 * The Pothos builder. Authorization is declared on every field with scope-auth (docs/architecture.md §7.1):
 *   admin            operators and the scheduler
 *   projectRead(id)  a user with read or write on that project, or an admin
 *   projectWrite(id) a user with write on that project, or an admin
 *   agentOf(id)      the agent of that host
 * An anonymous (or invalid-token) request fails with UNAUTHENTICATED, any other refusal FORBIDDEN.
 */
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { projectRole } from '../auth/actor.ts';
import { DomainError } from '../domain/errors.ts';
import type { GraphQLContext } from './context.ts';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: { admin: boolean; authenticated: boolean; projectRead: string; projectWrite: string; agentOf: string };
  DefaultFieldNullability: false;
  Scalars: { DateTime: { Input: string; Output: number }; JSON: { Input: unknown; Output: unknown } };
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, context) =>
      context.actor.kind === 'anonymous'
        ? new DomainError(
            'UNAUTHENTICATED',
            context.actor.reason ? `not authenticated: ${context.actor.reason}` : 'not authenticated: send Authorization: Bearer <token>',
          )
        : new DomainError('FORBIDDEN', 'not allowed for this actor'),
    authScopes: (context) => ({
      admin: context.actor.kind === 'admin',
      authenticated: context.actor.kind !== 'anonymous',
      projectRead: (projectId: string) => projectRole(context.actor, projectId) !== null,
      projectWrite: (projectId: string) => projectRole(context.actor, projectId) === 'write',
      agentOf: (hostId: string) => context.actor.kind === 'agent' && context.actor.hostId === hostId,
    }),
  },
  relay: { clientMutationId: 'omit', cursorType: 'String' },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType('DateTime', {
  description: 'A point in time, as an ISO 8601 string.',
  serialize: (ms) => new Date(ms).toISOString(),
  parseValue: (value) => String(value),
});
