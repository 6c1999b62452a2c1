import { describe, expect, it } from 'vitest';
import { container as build } from '../test/support/model.ts';
import { CHANGE_KINDS, handledKinds, parseHostDelta, parsePayload } from './changes.ts';

const container = build('ctr-1', 'pn-1', { id: 'host-1', meshIp: '100.64.0.1' }, '10.240.0.2');

describe('change catalogue', () => {
  it('names every kind noun.verb', () => {
    for (const kind of CHANGE_KINDS) expect(kind).toMatch(/^[a-z]+\.[a-z_]+$/);
  });

  it('parses a payload against its kind', () => {
    expect(parsePayload('container.running', { container })).toEqual({ ok: true, value: { kind: 'container.running', payload: { container } } });
  });

  it('drops payload keys it does not know (a newer API may add some)', () => {
    const parsed = parsePayload('peer.removed', { hostId: 'host-2', since: 'later' });
    expect(parsed).toEqual({ ok: true, value: { kind: 'peer.removed', payload: { hostId: 'host-2' } } });
  });

  it('reports an unknown kind and an invalid payload, never throws', () => {
    expect(parsePayload('network.renamed', { networkId: 'pn-1', name: 'x' })).toMatchObject({ ok: false, reason: 'unknown-kind' });
    const bad = parsePayload('container.running', { container: { ...container, state: 'GONE' } });
    expect(bad).toMatchObject({ ok: false, reason: 'invalid' });
    expect(!bad.ok && bad.message).toContain('container.state');
  });

  it('builds the agent delta {revision, kind, networkId, ...payload} and needs networkId for network kinds', () => {
    expect(parseHostDelta({ revision: 7, kind: 'container.running', networkId: 'pn-1', payload: { container } })).toEqual({
      ok: true,
      value: { revision: 7, kind: 'container.running', networkId: 'pn-1', container },
    });
    expect(parseHostDelta({ revision: 7, kind: 'peer.removed', networkId: null, payload: { hostId: 'host-2' } })).toEqual({
      ok: true,
      value: { revision: 7, kind: 'peer.removed', hostId: 'host-2' },
    });
    expect(parseHostDelta({ revision: 7, kind: 'container.running', networkId: null, payload: { container } })).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it("network.updated carries the network's IPv6 as {cidr, gateway} or null, and an older row without it still parses (issue 21)", () => {
    const settings = { dnsTtl: 5, aliases: [], multicast: 'ON' };
    const ipv6 = { cidr: 'fd77:6674:0:2a::/64', gateway: 'fd77:6674:0:2a::1' };
    expect(parsePayload('network.updated', { ...settings, ipv6 })).toEqual({ ok: true, value: { kind: 'network.updated', payload: { ...settings, ipv6 } } });
    expect(parsePayload('network.updated', { ...settings, ipv6: null })).toEqual({
      ok: true,
      value: { kind: 'network.updated', payload: { ...settings, ipv6: null } },
    });
    const older = parsePayload('network.updated', settings);
    expect(older.ok && 'ipv6' in older.value.payload).toBe(false); // absent: the reader keeps what it had
    expect(parsePayload('network.updated', { ...settings, ipv6: 'ON' })).toMatchObject({ ok: false, reason: 'invalid' });
    const created = { projectId: 'prj-1', networkId: 'pn-1', name: 'p', vni: 42, cidr: '10.240.0.0/22', gateway: '10.240.0.1', dnsTtl: 5 };
    expect([parsePayload('project.created', created).ok, parsePayload('project.created', { ...created, ipv6 }).ok]).toEqual([true, true]);
  });

  it('lists the kinds a consumer table handles, in catalogue order', () => {
    const table = Object.fromEntries(CHANGE_KINDS.map((k) => [k, k.startsWith('peer.') ? 'handled' : 'not-applicable'] as const));
    expect(handledKinds(table as Parameters<typeof handledKinds>[0])).toEqual(['peer.upserted', 'peer.removed']);
  });
});
