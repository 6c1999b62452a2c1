import { describe, expect, it } from 'vitest';
import type { VerifiedClaims } from './jwt.ts';
import { cachedVerifier } from './token-cache.ts';

describe('cachedVerifier', () => {
  const claims: Record<string, VerifiedClaims> = {
    agent: { kind: 'agent', sub: 'agent:h', host: 'h', ver: 1, exp: 100 },
    admin: { kind: 'admin', sub: 'op', exp: 100 },
  };
  const world = () => {
    const calls: string[] = [];
    let now = 0;
    const verify = cachedVerifier(
      async (token) => {
        calls.push(token);
        if (!claims[token]) throw new Error('bad token');
        return claims[token];
      },
      () => now,
      2,
    );
    return { calls, verify, at: (ms: number) => (now = ms) };
  };

  it('verifies an agent token once until it expires, and every other token each time', async () => {
    const { calls, verify, at } = world();
    await verify('agent');
    await verify('agent');
    await verify('admin');
    await verify('admin');
    await expect(verify('forged')).rejects.toThrow('bad token');
    await expect(verify('forged')).rejects.toThrow('bad token');
    at(100_000); // exp is in seconds: 100 s
    await verify('agent');
    expect(calls).toEqual(['agent', 'admin', 'admin', 'forged', 'forged', 'agent']);
  });

  it('keeps at most `max` tokens, dropping the oldest', async () => {
    const { calls, verify } = world();
    claims.agent2 = { ...claims.agent, sub: 'agent:2' } as VerifiedClaims;
    claims.agent3 = { ...claims.agent, sub: 'agent:3' } as VerifiedClaims;
    for (const t of ['agent', 'agent2', 'agent3', 'agent3', 'agent2', 'agent']) await verify(t);
    expect(calls).toEqual(['agent', 'agent2', 'agent3', 'agent']);
  });
});
