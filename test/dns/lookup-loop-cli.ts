// Runs lookupLoop for a while and prints its stats as JSON: started inside a container namespace
// with `ip netns exec <ns> node lookup-loop-cli.ts <server> <port> <name> <expect> <ms>`.
import { lookupLoop } from './udp-client.ts';

const [server, port, name, expect, ms] = process.argv.slice(2);
const loop = lookupLoop(server, Number(port), name, expect);
setTimeout(async () => {
  const stats = await loop.stop();
  process.stdout.write(JSON.stringify({ ...stats, failures: stats.failures.slice(0, 5) }) + '\n');
}, Number(ms));
