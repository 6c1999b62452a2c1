import { describe, expect, it } from 'vitest';
import type { FeedEventResult } from '../api/types.ts';
import { applyFeedEvent, type ContainerRow, containerRows, replayAfter } from './containers.ts';

const row = (id: string, over: Partial<ContainerRow> = {}): ContainerRow => ({
  id,
  applicationId: 'ap-1',
  processType: 'web',
  number: 1,
  ip: '10.240.0.2',
  state: 'RUNNING',
  hostname: `1.web.ap-1.pn-1.private-network.internal`,
  hostId: null,
  ...over,
});

const change = (kind: string, payload: Record<string, unknown>, revision = 9): FeedEventResult => ({
  type: 'CHANGE',
  revision,
  change: { revision, kind, payload },
});
const container = (over: Record<string, unknown> = {}) => ({
  id: 'ctr-2',
  applicationId: 'ap-1',
  processType: 'web',
  number: 2,
  ip: '10.240.0.3',
  mac: '02:00:0a:f0:00:03',
  state: 'PENDING',
  hostname: '2.web.ap-1.pn-1.private-network.internal',
  ...over,
});

describe('containerRows', () => {
  it('maps GraphQL containers to rows sorted by app, type, number; host only when selected', () => {
    expect(
      containerRows([
        {
          id: 'ctr-b',
          number: 1,
          processType: 'worker',
          state: 'RUNNING',
          ip: '10.240.0.4',
          hostname: 'w',
          application: { id: 'ap-1' },
          host: { id: 'host-2' },
        },
        { id: 'ctr-a', number: 2, processType: 'web', state: 'PENDING', ip: '10.240.0.3', hostname: 'b', application: { id: 'ap-1' } },
        { id: 'ctr-c', number: 1, processType: 'web', state: 'DRAINING', ip: '10.240.0.2', hostname: 'a', application: { id: 'ap-1' } },
      ]),
    ).toEqual([
      { id: 'ctr-c', applicationId: 'ap-1', processType: 'web', number: 1, ip: '10.240.0.2', state: 'DRAINING', hostname: 'a', hostId: null },
      { id: 'ctr-a', applicationId: 'ap-1', processType: 'web', number: 2, ip: '10.240.0.3', state: 'PENDING', hostname: 'b', hostId: null },
      { id: 'ctr-b', applicationId: 'ap-1', processType: 'worker', number: 1, ip: '10.240.0.4', state: 'RUNNING', hostname: 'w', hostId: 'host-2' },
    ]);
  });
});

describe('applyFeedEvent', () => {
  const start = [row('ctr-1', { hostId: 'host-1' })];
  it.each<[string, FeedEventResult, ContainerRow[], boolean]>([
    [
      'container.created adds a PENDING row (an admin payload carries hostId)',
      change('container.created', { container: container({ hostId: 'host-2', hostMeshIp: '100.64.0.2' }) }),
      [
        row('ctr-1', { hostId: 'host-1' }),
        row('ctr-2', { number: 2, ip: '10.240.0.3', state: 'PENDING', hostname: '2.web.ap-1.pn-1.private-network.internal', hostId: 'host-2' }),
      ],
      false,
    ],
    [
      'container.running of a known row changes its state, keeping its host when the payload has none (users)',
      change('container.running', { container: container({ id: 'ctr-1', number: 1, ip: '10.240.0.2', state: 'RUNNING', hostname: 'x' }) }),
      [row('ctr-1', { hostId: 'host-1', hostname: 'x' })],
      false,
    ],
    [
      'container.draining without a state field takes the state from the kind',
      change('container.draining', { container: container({ id: 'ctr-1', number: 1, ip: '10.240.0.2', state: undefined, hostname: 'x' }) }),
      [row('ctr-1', { hostId: 'host-1', hostname: 'x', state: 'DRAINING' })],
      false,
    ],
    ['container.removed drops the row', change('container.removed', { containerId: 'ctr-1', applicationId: 'ap-1', processType: 'web', number: 1 }), [], false],
    ['container.removed of an unknown id changes nothing', change('container.removed', { containerId: 'ctr-9' }), start, false],
    ['a CURSOR changes nothing', { type: 'CURSOR', revision: 12, change: null }, start, false],
    ['RESYNC asks for a reload', { type: 'RESYNC', revision: 3, change: null }, start, true],
    [
      'process.exposure_changed asks for a reload',
      change('process.exposure_changed', { applicationId: 'ap-1', processType: 'web', exposure: 'PRIVATE' }),
      start,
      true,
    ],
    ['network.joined asks for a reload (a new member host)', change('network.joined', { networkId: 'pn-1' }), start, true],
  ])('%s', (_name, event, rows, reload) => {
    expect(applyFeedEvent(start, event)).toEqual({ rows, reload });
  });

  it('applying the same event twice gives the same rows', () => {
    const event = change('container.created', { container: container() });
    const once = applyFeedEvent(start, event).rows;
    expect(applyFeedEvent(once, event).rows).toEqual(once);
  });
});

describe('replayAfter', () => {
  it('re-applies, in order, only the events past the head the rows were read at', () => {
    const read = [row('ctr-1', { state: 'PENDING' })]; // read at head 10, before ctr-1's running event
    const events = [
      change('container.running', { container: container({ id: 'ctr-1', number: 1, ip: '10.240.0.2', state: 'RUNNING', hostname: 'x' }) }, 10),
      change('container.running', { container: container({ id: 'ctr-1', number: 1, ip: '10.240.0.2', state: 'RUNNING', hostname: 'x' }) }, 11),
      change('container.draining', { container: container({ id: 'ctr-1', number: 1, ip: '10.240.0.2', state: 'DRAINING', hostname: 'x' }) }, 12),
      change('process.exposure_changed', { applicationId: 'ap-1' }, 13),
    ];
    expect(replayAfter(read, events, 10)).toEqual([row('ctr-1', { state: 'DRAINING', hostname: 'x' })]);
    expect(replayAfter(read, events, 12)).toEqual(read);
  });
});
