/**
 * What every service verb receives: the database, the configuration and a clock. Injected so that
 * tests can pin time (IP cool-down) and so that nothing reads globals.
 */
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { ChangeRecord } from '../feed/append.ts';

export interface ServiceContext {
  db: Database;
  config: Config;
  now: () => number;
}

/** A verb's result: what it wrote, and the change rows it appended in the same transaction. */
export interface Changed<T> {
  result: T;
  changes: ChangeRecord[];
}

/** A prefixed random identifier that is also a valid DNS label (≤ 63 characters). */
export function newId(prefix: 'prj' | 'pn' | 'ap' | 'host' | 'ctr'): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
