/**
 * Fencing (docs/architecture.md §8.3): revisions only compare within one database generation. An
 * API that answers with another generation, or with a revision below one this host has applied, is
 * running on another database (an empty file, a restored backup, the wrong DATABASE_URL): the host
 * keeps serving what it has and changes nothing until an operator accepts the new generation
 * (`weft-agent accept-generation`) or the trusted database comes back.
 * Pure.
 */

/** A point in one database's history. */
export interface Stamp {
  generation: string;
  revision: number;
}

export type FenceReason = 'GENERATION_CHANGED' | 'REVISION_BACKWARDS';

export interface Fence {
  reason: FenceReason;
  trusted: Stamp; // what this host applied last
  seen: Stamp; // what the API answers now
  since: number;
}

/** Why `seen` cannot be trusted after `trusted`, or null when it can (no trusted stamp yet: adopt). */
export function fenceReason(trusted: Stamp | null, seen: Stamp): FenceReason | null {
  if (!trusted?.generation) return null;
  if (seen.generation !== trusted.generation) return 'GENERATION_CHANGED';
  if (seen.revision < trusted.revision) return 'REVISION_BACKWARDS';
  return null;
}

/** Whether the trusted database is back: its generation again, at or past the revision applied. */
export function trustedIsBack(fence: Fence, seen: Stamp): boolean {
  return seen.generation === fence.trusted.generation && seen.revision >= fence.trusted.revision;
}
