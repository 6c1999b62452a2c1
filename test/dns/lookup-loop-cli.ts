// Started inside a container namespace with `ip netns exec <ns> node lookup-loop-cli.ts …`:
//   loop  <server> <port> <name> <expect> <ms>  → lookupLoop stats as JSON
//   watch <server> <port> <name> <ms>           → every change of the answer: [{ at, addresses }]
// `at` is Date.now(), comparable with the test process on the same machine.
import { lookupA, lookupLoop } from './udp-client.ts';

const [mode, server, port, name, ...rest] = process.argv.slice(2);
if (mode === 'loop') {
  const [expect, ms] = rest;
  const loop = lookupLoop(server, Number(port), name, expect);
  setTimeout(async () => {
    const stats = await loop.stop();
    process.stdout.write(JSON.stringify({ ...stats, failures: stats.failures.slice(0, 5) }) + '\n');
  }, Number(ms));
} else {
  const end = Date.now() + Number(rest[0]);
  const changes: { at: number; addresses: string[] }[] = [];
  let last = '';
  while (Date.now() < end) {
    const r = await lookupA(server, Number(port), name, 1, 200);
    const key = r.addresses.join(',');
    if (key !== last || !changes.length) changes.push({ at: Date.now(), addresses: r.addresses });
    last = key;
  }
  process.stdout.write(JSON.stringify(changes) + '\n');
}
