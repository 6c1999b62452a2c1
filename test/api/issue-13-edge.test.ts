/**
 * Issue 13, "Harden the API edge": an agent's report above the head revision. (Webhook SSRF:
 * test/webhooks/issue-13-ssrf.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { head, registerTestHost } from '../support/auth-world.ts';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('issue 13: reportHostStatus above the head revision', () => {
  const REPORT = `mutation($h: ID!, $r: Int!) { reportHostStatus(input: { hostId: $h, appliedRevision: $r }) { hostId } }`;
  const HOST = `query($h: ID!) { host(id: $h) { appliedRevision lastHeartbeatAt } }`;

  it('refuses a revision that was never committed with BAD_USER_INPUT and writes nothing; the head itself is fine', async () => {
    api = await startTestApi();
    const host = await registerTestHost(api);
    const top = await head(api);
    for (const r of [2_000_000_000, top + 1]) {
      const res = await api.gql(REPORT, { h: host.id, r }, host.agentToken);
      expect(res.errors?.[0].extensions?.code, String(r)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toContain(`above the head revision ${top}`);
    }
    expect((await api.ok(HOST, { h: host.id })).host).toEqual({ appliedRevision: null, lastHeartbeatAt: null });
    expect(await head(api)).toBe(top);

    await api.ok(REPORT, { h: host.id, r: top }, host.agentToken);
    expect((await api.ok(HOST, { h: host.id })).host.appliedRevision).toBe(top);
  });
});
