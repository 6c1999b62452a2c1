/**
 * Relay connections over offset pages, with the cursor checked before it reaches the database: a
 * cursor is base64 of `OffsetConnection:<n>` and a client can write any `n`. An offset past
 * MAX_OFFSET is refused as BAD_USER_INPUT (SQLite answered one past 2^63 with a masked internal error).
 */
import { type DefaultConnectionArguments, resolveOffsetConnection } from '@pothos/plugin-relay';
import { badInput } from '../domain/errors.ts';

export const MAX_OFFSET = 2 ** 31 - 1;

/** `resolveOffsetConnection` with the offset bounded; `load` reads one page. */
export function resolvePage<T>(args: DefaultConnectionArguments, load: (page: { limit: number; offset: number }) => Promise<T[]>) {
  return resolveOffsetConnection({ args }, (page) => {
    if (!Number.isSafeInteger(page.offset) || page.offset > MAX_OFFSET)
      throw badInput(`cursor offset is past ${MAX_OFFSET}: use a cursor this API returned`, { field: args.after ? 'after' : 'before' });
    return load(page);
  });
}
