import { describe, expect, it } from 'vitest';
import type { NetworkPolicy } from '../../protocol/policy/model.ts';
import type { Member } from './drain.ts';
import { policySourcesProgress, type SourceContainer } from './policy-sources.ts';

const m = (id: string, appliedRevision: number | null, liveness: Member['liveness'] = 'UP', reported = true): Member => ({
  id,
  appliedRevision,
  liveness,
  reported,
});
const c = (id: string, hostId: string, applicationId: string, processType = 'web'): SourceContainer => ({ id, hostId, applicationId, processType });
const peer = (applicationId: string, processType: string | null = null) => ({ applicationId, processType });
// proxy → backend:8080, and worker/clock → db (db runs on h3 and h4)
const policy = (mode: NetworkPolicy['mode']): Pick<NetworkPolicy, 'mode' | 'rules'> => ({
  mode,
  rules: [
    { from: peer('proxy'), to: peer('backend'), protocol: 'TCP', ports: [{ from: 8080, to: 8080 }] },
    { from: peer('worker', 'clock'), to: peer('db'), protocol: 'TCP', ports: [{ from: 5432, to: 5432 }] },
  ],
});
const others = [
  c('b1', 'h2', 'backend'),
  c('b2', 'h2', 'backend'),
  c('d1', 'h3', 'db'),
  c('d2', 'h4', 'db'),
  c('p1', 'h1', 'proxy'),
  c('w1', 'h1', 'worker', 'clock'),
];
const members = [m('h1', 10), m('h2', 9), m('h3', 10), m('h4', 8)];
const R = 10;

describe('policySourcesProgress: which hosts must hold a new source before it is attached', () => {
  it.each([
    ['OFF: nothing to wait for', policy('OFF'), c('new', 'h1', 'proxy'), members, { hosts: [], pendingHosts: [] }],
    ['a new proxy: the backend host, which is behind', policy('ENFORCE'), c('new', 'h1', 'proxy'), members, { hosts: ['h2'], pendingHosts: ['h2'] }],
    ['AUDIT waits too (the counters must not lie)', policy('AUDIT'), c('new', 'h1', 'proxy'), members, { hosts: ['h2'], pendingHosts: ['h2'] }],
    ['the backend host applied it: ready', policy('ENFORCE'), c('new', 'h1', 'proxy'), [m('h2', 10)], { hosts: ['h2'], pendingHosts: [] }],
    ['its own host is left out (the attach pass programs it)', policy('ENFORCE'), c('new', 'h2', 'proxy'), members, { hosts: [], pendingHosts: [] }],
    ['a source of no rule: no set holds it', policy('ENFORCE'), c('new', 'h1', 'backend'), members, { hosts: [], pendingHosts: [] }],
    ['a type selector: worker/web is no source', policy('ENFORCE'), c('new', 'h1', 'worker', 'web'), members, { hosts: [], pendingHosts: [] }],
    [
      'worker/clock: every db host; a DOWN or silent host does not hold it back',
      policy('ENFORCE'),
      c('new', 'h1', 'worker', 'clock'),
      [m('h3', 9, 'DOWN'), m('h4', 3, 'UP', false)],
      { hosts: ['h3', 'h4'], pendingHosts: [] },
    ],
    [
      'worker/clock: both db hosts behind',
      policy('ENFORCE'),
      c('new', 'h1', 'worker', 'clock'),
      [m('h3', null), m('h4', 8)],
      { hosts: ['h3', 'h4'], pendingHosts: ['h3', 'h4'] },
    ],
  ])('%s', (_what, p, container, hosts, expected) => {
    expect(policySourcesProgress(p, container, others, hosts, R)).toEqual(expected);
  });
});
