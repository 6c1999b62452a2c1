import { describe, expect, it } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { container, network } from '../../test/support/model.ts';
import type { PassReport } from '../reconcile/reconciler.ts';
import { agentStatus } from './status.ts';

const here = { id: 'host-1', meshIp: '100.64.0.1' };
const there = { id: 'host-2', meshIp: '100.64.0.2' };
const config = {
  revision: 9,
  host: { id: 'host-1' },
  peers: [{ hostId: 'host-2' }, { hostId: 'host-3' }],
  networks: [
    network('pn-a', 100, [container('ctr-a1', 'pn-a', here, '10.240.0.2'), container('ctr-a2', 'pn-a', there, '10.240.0.3')]),
    network('pn-b', 200, [container('ctr-b1', 'pn-b', here, '10.240.0.2', 'RUNNING', 1)]),
  ],
} as unknown as HostConfig;

describe('agentStatus (GET /v1/status)', () => {
  it('counts local and attached containers and peers, and names the newest pass error', () => {
    const report = {
      networks: { 'pn-a': { ok: true, errors: [] }, 'pn-b': { ok: false, errors: ['dns: EADDRNOTAVAIL'] } },
      failures: [{ op: { kind: 'neigh.add' }, error: 'ip neigh replace …: exit 2: RTNETLINK answers: No such device' }],
      hostErrors: [],
      problems: [],
    } as unknown as PassReport;
    const s = agentStatus(config, { report, at: new Date(0) }, { 'ctr-a1': '/run/netns/a1' });
    expect(s).toMatchObject({
      revision: 9,
      containers: { local: 2, attached: 1 },
      peers: 2,
      lastError: 'ip neigh replace …: exit 2: RTNETLINK answers: No such device',
      networks: { 'pn-a': { ready: true }, 'pn-b': { ready: false, errors: ['dns: EADDRNOTAVAIL'] } },
    });
  });

  it('says attached is unknown without the attachments, and no error without a pass', () => {
    expect(agentStatus(config, null)).toMatchObject({ containers: { local: 2, attached: null }, lastError: null });
    expect(agentStatus(null, null)).toMatchObject({ ready: false, containers: { local: 0, attached: null }, peers: 0, lastError: null });
  });
});
