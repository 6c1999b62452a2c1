/**
 * The short-lived helper that binds a network's DNS sockets inside its sandbox namespace.
 *
 * Run as `ip netns exec <ns> node bind-helper.ts <address> <port>` with an IPC channel. Node cannot
 * setns(), but a process started inside the namespace can bind there and pass the sockets to its
 * parent over IPC (SCM_RIGHTS); the sockets keep their namespace. It binds with SO_REUSEPORT so a
 * new server can bind alongside an old one during a handover (docs/dns.md), sends {kind:'udp'} and
 * {kind:'tcp'} with their handles, and exits when the parent disconnects. It must stay dependency-
 * free: Node runs it directly (type stripping), outside any bundler or loader.
 */
import dgram from 'node:dgram';
import net from 'node:net';

const [address, portText] = process.argv.slice(2);
const port = Number(portText);

function fail(err: unknown): void {
  process.send?.({ kind: 'error', message: String((err as Error)?.message ?? err) }, () => process.exit(1));
}

if (!process.send || !address || !Number.isInteger(port)) {
  console.error('usage: ip netns exec <ns> node bind-helper.ts <address> <port> (with an IPC channel)');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), 10_000).unref(); // never linger if the parent vanished

const udp = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4', reusePort: true });
udp.once('error', fail);
udp.bind(port, address, () => {
  const tcp = net.createServer();
  tcp.once('error', fail);
  tcp.listen({ host: address, port: udp.address().port, reusePort: true, backlog: 128 }, () => {
    process.send!({ kind: 'udp' }, udp);
    process.send!({ kind: 'tcp' }, tcp);
  });
});
