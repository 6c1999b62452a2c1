/** Table tests of the names, convergence, exposure, webhooks and access view models. */
import { describe, expect, it } from 'vitest';
import type { ApplicationResult, DeliveryResult } from '../api/types.ts';
import { canWrite, decodeClaims, expired, roleIn } from './access.ts';
import { addSample, convergenceRows, latencyChart } from './convergence.ts';
import { endpointRows, outcomeOf } from './webhooks.ts';
import { exposureRows } from './exposure.ts';
import { nameRows, privateNames, resolveQuery } from './names.ts';

const app = (id: string, name: string, types: [string, 'PUBLIC' | 'PRIVATE'][], names: string[] = []): ApplicationResult => ({
  id,
  name,
  defaultProcessType: 'web',
  privateDomainNames: names,
  processTypes: types.map(([n, exposure]) => ({ name: n, exposure })),
});

describe('names', () => {
  const apps = [
    app('ap-2', 'worker-app', [], ['ap-2.pn-1.private-network.internal']),
    app('ap-1', 'api', [], ['ap-1.pn-1.private-network.internal', 'web.ap-1.pn-1.private-network.internal']),
  ];
  it('lists every name, apps in name order', () => {
    expect(privateNames(apps)).toEqual([
      { name: 'ap-1.pn-1.private-network.internal', app: 'api' },
      { name: 'web.ap-1.pn-1.private-network.internal', app: 'api' },
      { name: 'ap-2.pn-1.private-network.internal', app: 'worker-app' },
    ]);
  });
  it('resolves them all in one query with aliases', () => {
    expect(resolveQuery('pn-1', ['a.internal', 'b.internal'])).toEqual({
      query:
        'query Resolve($net: ID!, $n0: String!, $n1: String!) {\n  r0: resolve(networkId: $net, name: $n0) { rcode records { name type ttl data } }\n  r1: resolve(networkId: $net, name: $n1) { rcode records { name type ttl data } }\n}',
      variables: { net: 'pn-1', n0: 'a.internal', n1: 'b.internal' },
    });
  });
  it.each([
    [
      {
        rcode: 'NOERROR',
        records: [
          { name: 'x', type: 'A', ttl: 5, data: '10.240.0.2' },
          { name: 'x', type: 'A', ttl: 5, data: '10.240.0.3' },
        ],
      },
      '10.240.0.2, 10.240.0.3',
    ],
    [{ rcode: 'NOERROR', records: [] }, 'no records'],
    [{ rcode: 'NXDOMAIN', records: [] }, 'NXDOMAIN'],
    [undefined, '…'],
  ] as const)('answer %j → %s', (result, answer) => {
    expect(nameRows([{ name: 'x', app: 'api' }], result ? { r0: result as never } : null)).toEqual([
      { name: 'x', app: 'api', answer, rcode: result?.rcode ?? null },
    ]);
  });
});

describe('convergence', () => {
  it('flags hosts behind, and a host outside the retained window', () => {
    expect(
      convergenceRows({
        headRevision: 40,
        converged: false,
        samples: 3,
        p50Ms: 12,
        p99Ms: 30,
        hosts: [
          { hostId: 'h1', hostName: 'host-1', appliedRevision: 40, pendingChanges: 0, healthy: true, message: null, lastReportAt: null },
          { hostId: 'h2', hostName: 'host-2', appliedRevision: 35, pendingChanges: 2, healthy: false, message: 'nft failed', lastReportAt: null },
          { hostId: 'h3', hostName: 'host-3', appliedRevision: 0, pendingChanges: -1, healthy: null, message: null, lastReportAt: null },
        ],
      }),
    ).toEqual([
      { hostId: 'h1', host: 'host-1', applied: 40, head: 40, pending: '0', behind: false, health: 'healthy' },
      { hostId: 'h2', host: 'host-2', applied: 35, head: 40, pending: '2', behind: true, health: 'unhealthy: nft failed' },
      { hostId: 'h3', host: 'host-3', applied: 0, head: 40, pending: 'outside the retained window', behind: true, health: 'no report' },
    ]);
  });
  it('keeps the last samples and draws p50/p99 on the largest p99', () => {
    let samples = addSample([], { at: 1, p50: 10, p99: 40 });
    samples = addSample(samples, { at: 1, p50: 99, p99: 99 }); // same time: not repeated
    samples = addSample(samples, { at: 2, p50: 20, p99: null });
    samples = addSample(samples, { at: 3, p50: 5, p99: 20 }, 2);
    expect(samples).toEqual([
      { at: 2, p50: 20, p99: null },
      { at: 3, p50: 5, p99: 20 },
    ]);
    expect(
      latencyChart(
        [
          { at: 1, p50: 10, p99: 40 },
          { at: 2, p50: 20, p99: null },
          { at: 3, p50: 5, p99: 20 },
        ],
        200,
        40,
      ),
    ).toEqual({
      p50: '0,30 100,20 200,35',
      p99: '0,0 200,20',
      maxMs: 40,
    });
    expect(latencyChart([], 200, 40)).toEqual({ p50: '', p99: '', maxMs: 1 });
  });
});

describe('exposure', () => {
  const apps = [
    app('ap-2', 'zeta', [['web', 'PUBLIC']]),
    app('ap-1', 'api', [
      ['worker', 'PRIVATE'],
      ['web', 'PUBLIC'],
    ]),
  ];
  it.each([
    ['admin', true],
    ['write', true],
    ['read', false],
    ['none', false],
  ] as const)('role %s: switch enabled %s', (role, canSwitch) => {
    expect(exposureRows(apps, role)).toEqual([
      { applicationId: 'ap-1', app: 'api', processType: 'web', exposure: 'PUBLIC', next: 'PRIVATE', canSwitch },
      { applicationId: 'ap-1', app: 'api', processType: 'worker', exposure: 'PRIVATE', next: 'PUBLIC', canSwitch },
      { applicationId: 'ap-2', app: 'zeta', processType: 'web', exposure: 'PUBLIC', next: 'PRIVATE', canSwitch },
    ]);
  });
});

describe('webhooks', () => {
  const d = (over: Partial<DeliveryResult>): DeliveryResult => ({
    id: 'd1',
    eventType: 'container.running',
    revision: 7,
    status: 'SUCCEEDED',
    attempts: 1,
    lastResponseCode: 204,
    lastError: null,
    lastAttemptAt: null,
    createdAt: '2026-12-06T00:00:00Z',
    ...over,
  });
  it.each([
    [d({}), 'HTTP 204 after 1 attempt'],
    [d({ status: 'PENDING', attempts: 0, lastResponseCode: null }), 'not attempted yet'],
    [d({ status: 'FAILED', attempts: 2, lastResponseCode: 503 }), 'failed (2 attempts): HTTP 503'],
    [d({ status: 'DEAD', attempts: 8, lastResponseCode: null, lastError: 'connect ECONNREFUSED' }), 'dead-lettered after 8 attempts: connect ECONNREFUSED'],
  ])('%#: %s', (delivery, outcome) => {
    expect(outcomeOf(delivery)).toBe(outcome);
  });
  it('endpoints with deliveries; redeliver only with write', () => {
    const endpoints = [
      { id: 'we-1', url: 'https://r.example/h', enabled: true, events: [], lastDeliveredRevision: 7, deliveries: { edges: [{ node: d({}) }] } },
      { id: 'we-2', url: 'https://b.example/h', enabled: false, events: ['container.running'], lastDeliveredRevision: 0, deliveries: { edges: [] } },
    ];
    expect(endpointRows(endpoints, 'read')).toEqual([
      {
        id: 'we-1',
        url: 'https://r.example/h',
        state: 'enabled, delivered through revision 7',
        events: 'every event',
        deliveries: [{ id: 'd1', event: 'container.running', revision: 7, status: 'SUCCEEDED', outcome: 'HTTP 204 after 1 attempt', canRedeliver: false }],
      },
      { id: 'we-2', url: 'https://b.example/h', state: 'disabled', events: 'container.running', deliveries: [] },
    ]);
    expect(endpointRows(endpoints, 'write')[0].deliveries[0].canRedeliver).toBe(true);
  });
});

describe('access', () => {
  // header.payload.signature, payload {"kind":"user","projects":{"prj-1":"read","prj-2":"write"},"exp":1000}
  const payload = btoa(JSON.stringify({ kind: 'user', projects: { 'prj-1': 'read', 'prj-2': 'write' }, exp: 1000 }))
    .replace(/=+$/, '')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
  const user = decodeClaims(`eyJhbGciOiJFZERTQSJ9.${payload}.c2ln`);
  it.each([
    ['prj-1', 'read', false],
    ['prj-2', 'write', true],
    ['prj-3', 'none', false],
  ] as const)('user in %s: %s', (project, role, write) => {
    expect(roleIn(user, project)).toBe(role);
    expect(canWrite(roleIn(user, project))).toBe(write);
  });
  it('admin, not a JWT, expiry', () => {
    expect(roleIn({ kind: 'admin' }, 'prj-9')).toBe('admin');
    expect(decodeClaims('not-a-token')).toBeNull();
    expect(decodeClaims('a.%%%.c')).toBeNull();
    expect([expired(user, 999_999), expired(user, 1_000_000), expired({ kind: 'admin' }, 5)]).toEqual([false, true, false]);
  });
});
