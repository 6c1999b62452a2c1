/**
 * The one set of builders of host models (protocol/model.ts) for tests and benchmarks: hosts,
 * networks, containers with the MAC derived from the IP the way the API does (`02:00:<ip bytes>`).
 */
import type { ContainerModel, HostConfig, HostModel, NetworkModel, PeerModel } from '../../protocol/model.ts';
import { macOf } from '../../protocol/addressing/ipv4.ts';

/** A host with mesh IP 100.64.0.<n>. */
export function host(n: number, publicKey: string, underlay = `192.0.2.${10 + n}`): HostModel {
  return { id: `host-${n}`, name: `h${n}`, meshIp: `100.64.0.${n}`, meshCidr: '100.64.0.0/16', endpoint: `${underlay}:51820`, publicKey };
}

/** The MAC the API derives from a container IP (`02:00:<4 IP bytes>`): the API's own function. */
export { macOf };

/** What a container builder may set beyond its defaults (app `ap-app1`, type `web`). */
export interface ContainerOptions {
  applicationId?: string;
  processType?: string;
}

/**
 * A container of `h` on network `networkId`, its MAC and hostname derived as the API derives them;
 * `id` must carry 8+ hex digits where veth names are built from it (the reconciler's tests).
 */
export function container(
  id: string,
  networkId: string,
  h: Pick<HostModel, 'id' | 'meshIp'>,
  ip: string,
  state: ContainerModel['state'] = 'RUNNING',
  n = 1,
  { applicationId = 'ap-app1', processType = 'web' }: ContainerOptions = {},
): ContainerModel {
  return {
    id,
    applicationId,
    processType,
    number: n,
    hostId: h.id,
    hostMeshIp: h.meshIp,
    ip,
    mac: macOf(ip),
    state,
    hostname: `${n}.${processType}.${applicationId}.${networkId}.private-network.internal`,
  };
}

/** A network with the given containers; CIDR 10.240.0.0/22, project `prj-<id>`, DNS TTL 5 and app `ap-app1` unless told otherwise. */
export function network(
  id: string,
  vni: number,
  containers: ContainerModel[],
  cidr = '10.240.0.0/22',
  gateway = '10.240.0.1',
  more: Partial<Pick<NetworkModel, 'projectId' | 'dnsTtl' | 'applications' | 'downHosts' | 'policy'>> = {},
): NetworkModel {
  return {
    id,
    projectId: `prj-${id}`,
    vni,
    cidr,
    gateway,
    dnsTtl: 5,
    applications: [{ id: 'ap-app1', name: 'app1', defaultProcessType: 'web' }],
    containers,
    downHosts: [],
    ...more,
  };
}

/** The config of `self`: peers are every other host that shares a network with it. */
export function hostConfig(self: HostModel, allHosts: HostModel[], networks: NetworkModel[], revision = 1): HostConfig {
  const mine = networks.filter((n) => n.containers.some((c) => c.hostId === self.id));
  const peerIds = new Set(mine.flatMap((n) => n.containers.map((c) => c.hostId)).filter((id) => id !== self.id));
  const peers: PeerModel[] = allHosts
    .filter((h) => peerIds.has(h.id))
    .map((h) => ({ hostId: h.id, name: h.name, publicKey: h.publicKey, endpoint: h.endpoint, meshIp: h.meshIp }));
  return { revision, generation: 'gen-test', host: self, peers, networks: mine };
}

/**
 * The 1,000-remote-container world of the apply benchmark and the netns scale suite: host 1 (this
 * one, with its real key and underlay) holds one local container of network `pn-big`; ten more hosts
 * with freshly generated WireGuard keys hold 1,000 remote containers between them.
 */
export function bigNetworkWorld(self: { publicKey: string; underlay: string }, wgKey: () => string) {
  const hosts = [host(1, self.publicKey, self.underlay), ...Array.from({ length: 10 }, (_, i) => host(i + 2, wgKey(), `192.0.2.${100 + i}`))];
  const remote = Array.from({ length: 1000 }, (_, i) =>
    container(`ctr-${(0xb0000000 + i).toString(16)}`, 'pn-big', hosts[1 + (i % 10)], `10.241.${(i + 2) >> 8}.${(i + 2) & 0xff}`),
  );
  const local = container('ctr-a0000001', 'pn-big', hosts[0], '10.241.0.1');
  const configOf = (members: ContainerModel[]) => hostConfig(hosts[0], hosts, [network('pn-big', 300, members, '10.241.0.0/16', '10.241.255.254')]);
  return { hosts, local, remote, configOf };
}
