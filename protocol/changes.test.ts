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

  it('lists the kinds a consumer table handles, in catalogue order', () => {
    const table = Object.fromEntries(CHANGE_KINDS.map((k) => [k, k.startsWith('peer.') ? 'handled' : 'not-applicable'] as const));
    expect(handledKinds(table as Parameters<typeof handledKinds>[0])).toEqual(['peer.upserted', 'peer.removed']);
  });
});
