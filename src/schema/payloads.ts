/**
 * Mutation payloads. Every mutation returns what it changed and the revision of the last change it
 * appended to the feed, so a client can wait for agents to converge on that revision.
 */
import type { ObjectRef } from '@pothos/core';
import type { ChangeRecord } from '../feed/append.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';

export interface PayloadShape {
  id: string | null;
  revision: number | null;
}

/** The revision of the last appended change, or null when the mutation was a no-op. */
export const lastRevision = (changes: ChangeRecord[]): number | null => changes.at(-1)?.revision ?? null;

/** `{ <field>: T, revision }` for mutations that create or update one entity. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function entityPayload<T extends object>(name: string, field: string, ref: ObjectRef<any, T>, load: (ctx: GraphQLContext, id: string) => Promise<T>) {
  return builder.objectRef<PayloadShape>(name).implement({
    fields: (t) => ({
      revision: t.exposeInt('revision', { nullable: true, description: 'Revision of the last change appended (null when nothing changed).' }),
      [field]: t.field({ type: ref, resolve: (p, _args, ctx) => load(ctx, p.id!) as never }),
    }),
  });
}

export const DeletePayload = builder.objectRef<PayloadShape>('DeletePayload').implement({
  fields: (t) => ({
    deletedId: t.id({ resolve: (p) => p.id! }),
    revision: t.exposeInt('revision', { nullable: true }),
  }),
});
