// A Node client for the resolver matrix (test/e2e/dns-discovery.test.ts): dns.lookup goes through
// getaddrinfo (glibc), resolveSrv/resolveTxt/reverse through c-ares reading /etc/resolv.conf.
//   node lookup.mjs host NAME | srv NAME | ptr IP | txt NAME
import dns from 'node:dns';

const [what, name] = process.argv.slice(2);
try {
  if (what === 'host') for (const a of await dns.promises.lookup(name, { all: true, family: 0 })) console.log(a.address);
  if (what === 'srv') for (const s of await dns.promises.resolveSrv(name)) console.log(`${s.priority} ${s.weight} ${s.port} ${s.name}`);
  if (what === 'ptr') for (const n of await dns.promises.reverse(name)) console.log(n);
  if (what === 'txt') for (const t of await dns.promises.resolveTxt(name)) console.log(t.join(''));
} catch (error) {
  console.error(error.code ?? error.message);
  process.exit(2);
}
