import { describe, expect, it } from 'vitest';
import { TokenChanges } from './token-changes.ts';

const row = (revision: number, kind: string, hostId: string | null) => ({ revision, kind, hostId });

describe('TokenChanges', () => {
  // h1's token is rotated at 12 and revoked at 15; h2 only gets other rows; a token row without a host is ignored.
  const tokens = () => {
    const t = new TokenChanges();
    t.note([row(11, 'container.created', null), row(12, 'host.token_rotated', 'h1'), row(13, 'host.updated', 'h2'), row(14, 'host.token_revoked', null)]);
    t.note([row(15, 'host.token_revoked', 'h1')]);
    return t;
  };

  it.each([
    // host, mark head, event revision, cache head → holds without a read
    ['h2', 10, 15, 15, true], // no token row for h2 at all
    ['h1', 15, 15, 15, true], // found valid after the revocation was read
    ['h1', 14, 15, 15, false], // the revocation came after the mark
    ['h1', 11, 11, 15, false], // the rotation too
    ['h2', 10, 16, 15, false], // an event the cache has not read (a stream catching up from the table)
    ['h2', 10, undefined, 15, false], // an event without a revision
  ] as const)('%s marked at %i, event %s, cache at %i → %s', (host, markHead, revision, head, expected) => {
    const t = tokens();
    expect(t.holds(host, t.mark(markHead), revision, head)).toBe(expected);
  });

  it('voids every mark when the cache starts again', () => {
    const t = tokens();
    const before = t.mark(15);
    expect(t.holds('h2', before, 15, 15)).toBe(true);
    t.reset();
    expect(t.holds('h2', before, 15, 15)).toBe(false);
    expect(t.holds('h1', t.mark(3), 3, 3)).toBe(true); // after a restore the old rows are forgotten with the marks
  });
});
