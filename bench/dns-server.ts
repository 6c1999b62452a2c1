/**
 * Benchmark target: Weft's DNS server alone in a process, on loopback, serving the benchmark model.
 * `node bench/dns-server.ts <port> <count>` prints "ready" once bound. Not part of the agent.
 */
import { benchNetwork } from './dns-names.ts';
import { DnsServer } from '../agent/dns/server.ts';

const [port, count] = process.argv.slice(2).map(Number);
const server = new DnsServer();
server.setNetworks([benchNetwork(count)]);
await server.listen('pn-bench', { address: '127.0.0.1', port });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  const m = server.metrics()['pn-bench'];
  process.stderr.write(`weft: ${m?.queries ?? 0} queries, ${m?.fastPath ?? 0} fast path\n`);
  server.close();
  process.exit(0);
});
