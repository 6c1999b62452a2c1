// Which names exist in a network's view (RFC 8020 and docs/architecture.md §3.2), independent of the answer format.
import { describe, expect, it } from 'vitest';
import { sampleNetworkA } from '../../test/support/sample-networks.ts';
import type { NetworkModel } from '../model.ts';
import { buildZone, inZone } from './zone.ts';

const A = 'pn-aaaa.private-network.internal';

describe('buildZone', () => {
  it('lists exactly the existing names of one network', () => {
    const names = [...buildZone(sampleNetworkA()).names.keys()].sort();
    expect(names).toEqual(
      [
        'private-network.internal',
        A,
        `ap-shop.${A}`,
        `web.ap-shop.${A}`,
        `1.web.ap-shop.${A}`,
        `2.web.ap-shop.${A}`,
        `worker.ap-shop.${A}`,
        `1.worker.ap-shop.${A}`,
        `ap-api.${A}`,
        `backend.ap-api.${A}`,
        `1.backend.ap-api.${A}`,
        `ap-idle.${A}`,
        `web.ap-idle.${A}`,
        // TXT enumeration: the network's apps, each app's RUNNING containers (issue 19)
        `_apps.${A}`,
        `_instances.ap-shop.${A}`,
        `_instances.ap-api.${A}`,
        `_instances.ap-idle.${A}`,
        // PTR: one per RUNNING container
        '4.0.240.10.in-addr.arpa',
        '5.0.240.10.in-addr.arpa',
        '6.0.240.10.in-addr.arpa',
        '9.0.240.10.in-addr.arpa',
      ].sort(),
    );
  });

  it('lower-cases IDs from the model and keeps a type with only PENDING containers as NODATA', () => {
    const n: NetworkModel = { ...sampleNetworkA(), id: 'PN-Upper' };
    n.containers = n.containers.map((c) => ({ ...c, applicationId: c.applicationId.toUpperCase() }));
    n.containers.push({ ...n.containers[0], id: 'ctr-p', processType: 'cron', number: 1, state: 'PENDING' });
    const z = buildZone(n);
    expect(z.names.get('1.web.ap-shop.pn-upper.private-network.internal')).toEqual([{ type: 'A', address: '10.240.0.4' }]);
    expect(z.names.get('cron.ap-shop.pn-upper.private-network.internal')).toEqual([]);
    expect(z.names.has('1.cron.ap-shop.pn-upper.private-network.internal')).toBe(false);
  });

  it('an app missing from the applications list still resolves to its web containers', () => {
    const n = sampleNetworkA();
    n.applications = [];
    expect(buildZone(n).names.get(`ap-shop.${A}`)).toEqual([
      { type: 'A', address: '10.240.0.4' },
      { type: 'A', address: '10.240.0.5' },
    ]);
    expect(buildZone(n).names.get(`ap-api.${A}`)).toEqual([]); // its only type is backend, not web
  });

  it('inZone is a label boundary check', () => {
    expect(inZone('private-network.internal')).toBe(true);
    expect(inZone(`x.${A}`)).toBe(true);
    expect(inZone('evilprivate-network.internal')).toBe(false);
    expect(inZone('internal')).toBe(false);
  });
});
