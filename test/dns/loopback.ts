// The DNS server on loopback for dig tests: a fake upstream, and one port per network (as sandboxes
// would have one listener each) for the sample networks pn-aaaa, pn-bbbb and pn-wide.
import { DnsServer } from '../../agent/dns/server.ts';
import type { NetworkModel } from '../../protocol/model.ts';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';

export interface LoopbackDns {
  server: DnsServer;
  upstream: FakeUpstream;
  portA: number;
  portB: number;
  portW: number;
  close(): Promise<void>;
}

/** Starts the server with `networks`, listening for pn-aaaa, pn-bbbb and pn-wide on 127.0.0.1. */
export async function startLoopbackDns(networks: NetworkModel[]): Promise<LoopbackDns> {
  const upstream = await startFakeUpstream('127.0.0.1');
  const server = new DnsServer({ upstreams: [{ address: upstream.address, port: upstream.port }] });
  server.setNetworks(networks);
  const port = async (id: string) => (await server.listen(id, { address: '127.0.0.1', port: 0 })).port;
  return {
    server,
    upstream,
    portA: await port('pn-aaaa'),
    portB: await port('pn-bbbb'),
    portW: await port('pn-wide'),
    async close() {
      server.close();
      await upstream.close();
    },
  };
}
