import { describe, expect, it } from 'vitest';
import type { ContainerModel, NetworkModel } from '../../protocol/model.ts';
import { resolveName } from './resolve.ts';

const Z = 'private-network.internal';
const ctr = (over: Partial<ContainerModel>): ContainerModel => ({
  id: 'ctr-x',
  applicationId: 'ap-a',
  processType: 'web',
  number: 1,
  hostId: 'host-1',
  hostMeshIp: '100.64.0.1',
  ip: '10.240.0.2',
  mac: '02:00:0a:f0:00:02',
  state: 'RUNNING',
  hostname: '',
  ...over,
});
const network: NetworkModel = {
  id: 'pn-1',
  projectId: 'prj-1',
  vni: 42,
  cidr: '10.240.0.0/22',
  gateway: '10.240.0.1',
  dnsTtl: 5,
  downHosts: [],
  applications: [
    { id: 'ap-a', name: 'a', defaultProcessType: 'web' },
    { id: 'ap-b', name: 'b', defaultProcessType: 'backend' },
  ],
  containers: [
    ctr({ id: 'c1', ip: '10.240.0.2' }),
    ctr({ id: 'c2', number: 2, ip: '10.240.0.10' }),
    ctr({ id: 'c3', number: 3, ip: '10.240.0.3', state: 'DRAINING' }),
    ctr({ id: 'c4', processType: 'worker', ip: '10.240.0.4', state: 'PENDING' }),
    ctr({ id: 'c5', applicationId: 'ap-b', processType: 'backend', ip: '10.240.0.5' }),
  ],
};

// name, type, rcode, answers (zone-file style data)
const table: [string, string, string, string[]][] = [
  [`ap-a.pn-1.${Z}`, 'A', 'NOERROR', ['10.240.0.2', '10.240.0.10']], // by number, then IP
  [`AP-A.PN-1.${Z.toUpperCase()}.`, 'A', 'NOERROR', ['10.240.0.2', '10.240.0.10']],
  [`web.ap-a.pn-1.${Z}`, 'A', 'NOERROR', ['10.240.0.2', '10.240.0.10']],
  [`1.web.ap-a.pn-1.${Z}`, 'A', 'NOERROR', ['10.240.0.2']],
  [`3.web.ap-a.pn-1.${Z}`, 'A', 'NXDOMAIN', []], // DRAINING: its own name left DNS at once
  [`worker.ap-a.pn-1.${Z}`, 'A', 'NOERROR', []], // only PENDING: the type exists, no address yet
  [`1.worker.ap-a.pn-1.${Z}`, 'A', 'NXDOMAIN', []], // PENDING containers are not in DNS
  [`backend.ap-b.pn-1.${Z}`, 'A', 'NOERROR', ['10.240.0.5']],
  [`web.ap-b.pn-1.${Z}`, 'A', 'NXDOMAIN', []], // no web containers and web is not b's default
  [`ap-b.pn-1.${Z}`, 'A', 'NOERROR', ['10.240.0.5']], // default process type "backend"
  [`1.web.ap-a.pn-1.${Z}`, 'AAAA', 'NOERROR', []],
  [`pn-1.${Z}`, 'A', 'NOERROR', []], // empty non-terminal
  [Z, 'A', 'NOERROR', []],
  [`4.web.ap-a.pn-1.${Z}`, 'A', 'NXDOMAIN', []],
  [`cron.ap-a.pn-1.${Z}`, 'A', 'NXDOMAIN', []],
  [`ap-zz.pn-1.${Z}`, 'A', 'NXDOMAIN', []],
  [`ap-a.pn-2.${Z}`, 'A', 'NXDOMAIN', []], // another network: same as nonexistent
  [`x.1.web.ap-a.pn-1.${Z}`, 'A', 'NXDOMAIN', []],
  ['example.com', 'A', 'REFUSED', []],
];

describe('resolveName', () => {
  it.each(table)('%s %s → %s %j', (name, type, rcode, data) => {
    const answer = resolveName(network, name, type);
    expect(answer.rcode).toBe(rcode);
    expect(answer.records.map((r) => r.data)).toEqual(data);
    for (const r of answer.records) expect(r).toMatchObject({ type: 'A', ttl: 5 });
  });
});
