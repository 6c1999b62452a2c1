/**
 * End to end, as root (issue 19): service discovery as real resolvers see it from inside lab
 * containers, in one world of 3 hosts.
 * - The README's "Names" examples, run as printed.
 * - The resolver compatibility matrix: glibc (getent hosts/ahosts), musl (a static getaddrinfo
 *   program), busybox nslookup, Go's pure resolver, Java (InetAddress, JNDI SRV), Node (dns.lookup,
 *   resolveSrv), Python (getaddrinfo), dig and host, each on the A, SRV and PTR forms it supports.
 * - Parallel A+AAAA lookups (glibc, musl, Go, busybox) answered at once; a TXT enumeration over
 *   512 bytes truncated over UDP and complete over TCP; a numbered name reused by a new container
 *   with another IP within one TTL; `updateNetwork` of the TTL seen on every host (time printed).
 * The clients are built once (test/e2e/resolvers/build.ts) while the world starts.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeArgv, startBackground } from '../../lab/probes.ts';
import { World, type WorldContainer } from '../../lab/world.ts';
import { sleep } from '../support/netns-lab.ts';
import { describeRoot } from '../support/root.ts';
import { containerIpv6 } from '../../protocol/addressing/ipv6.ts';
import { buildResolverClients, type ResolverClients } from './resolvers/build.ts';

const Z = 'private-network.internal';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TOOLS = ['dig', 'host', 'getent', 'busybox', 'musl-gcc', 'go', 'javac', 'java', 'python3'];

/** Runs argv in container `c` (with its environment); resolves with the exit code, output and elapsed ms. */
function run(c: WorldContainer, argv: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; out: string; err: string; ms: number }> {
  const env = Object.entries({ ...c.env, ...extraEnv }).map(([k, v]) => `${k}=${v}`);
  const start = performance.now();
  return new Promise((done) => {
    execFile('ip', ['netns', 'exec', c.ns, 'env', ...env, ...argv], { timeout: 30_000 }, (error, out, err) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err, ms: performance.now() - start }),
    );
  });
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const dotless = (name: string) => name.toLowerCase().replace(/\.$/, '');
const ipv4 = (text: string) => [...new Set(text.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? [])].sort();
/** Unique-local IPv6 addresses (a network's /64 is in fc00::/7), sorted. */
const ipv6 = (text: string) => [...new Set(text.match(/\bf[cd][0-9a-f]{2}:[0-9a-f:]*[0-9a-f]\b/g) ?? [])].sort();
/** `0 0 8080 target.` anywhere in a line → `8080 target`, sorted. */
const srvs = (text: string) =>
  lines(text)
    .map((l) => /(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => `${m[3]} ${dotless(m[4])}`)
    .sort();

// SRV1: a one-target SRV answer, for busybox, which neither sends EDNS nor retries over TCP: a
// 3-target answer with Weft's names is over 512 bytes (SRV targets are never compressed, RFC 2782).
// AAAA: glibc's `getent hosts` asks gethostbyname2(AF_INET6) first, so on a dual-stack network (the
// default, issue 21) it lists the v6 addresses.
type Form = 'A' | 'AAAA' | 'SRV' | 'SRV1' | 'PTR';
/** One client's way of asking one form: argv for a name (or IP), and how its output reads. */
type Ask = { argv: (q: string) => string[]; read: (out: string) => string; env?: Record<string, string> };

function matrix(bin: ResolverClients): Record<string, Partial<Record<Form, Ask>>> {
  const addrs = (out: string) => ipv4(out).join(' ');
  const addrs6 = (out: string) => ipv6(out).join(' ');
  const srv = (out: string) => srvs(out).join(', ');
  const first = (out: string) => dotless(lines(out)[0] ?? '');
  const go = { GODEBUG: 'netdns=go' };
  return {
    'glibc getent hosts': {
      AAAA: { argv: (q) => ['getent', 'hosts', q], read: addrs6 },
      PTR: { argv: (q) => ['getent', 'hosts', q], read: (o) => dotless(o.trim().split(/\s+/)[1] ?? '') },
    },
    'glibc getent ahosts': { A: { argv: (q) => ['getent', 'ahosts', q], read: addrs } },
    'musl getaddrinfo': {
      A: { argv: (q) => [bin.musl, q], read: addrs },
      PTR: { argv: (q) => [bin.musl, '-x', q], read: first },
    },
    'busybox nslookup': {
      // the server's own address is printed first, before "Name:"
      A: { argv: (q) => ['busybox', 'nslookup', q], read: (o) => ipv4(o.slice(o.indexOf('Name:'))).join(' ') },
      SRV1: { argv: (q) => ['busybox', 'nslookup', '-type=srv', q], read: srv },
      PTR: { argv: (q) => ['busybox', 'nslookup', q], read: (o) => dotless(/name = (\S+)/.exec(o)?.[1] ?? '') },
    },
    'Go (netdns=go)': {
      A: { argv: (q) => [bin.go, 'host', q], read: addrs, env: go },
      SRV: { argv: (q) => [bin.go, 'srv', q], read: srv, env: go },
      PTR: { argv: (q) => [bin.go, 'ptr', q], read: first, env: go },
    },
    'Java InetAddress / JNDI': {
      A: { argv: (q) => ['java', '-cp', bin.javaClassPath, 'Lookup', 'host', q], read: addrs },
      SRV: { argv: (q) => ['java', '-cp', bin.javaClassPath, 'Lookup', 'srv', q], read: srv },
      PTR: { argv: (q) => ['java', '-cp', bin.javaClassPath, 'Lookup', 'ptr', q], read: first },
    },
    'Node dns': {
      A: { argv: (q) => ['node', bin.node, 'host', q], read: addrs },
      SRV: { argv: (q) => ['node', bin.node, 'srv', q], read: srv },
      PTR: { argv: (q) => ['node', bin.node, 'ptr', q], read: first },
    },
    'Python socket': {
      A: { argv: (q) => ['python3', bin.python, 'host', q], read: addrs },
      PTR: { argv: (q) => ['python3', bin.python, 'ptr', q], read: first },
    },
    dig: {
      A: { argv: (q) => ['dig', '+short', q, 'A'], read: addrs },
      AAAA: { argv: (q) => ['dig', '+short', q, 'AAAA'], read: addrs6 },
      SRV: { argv: (q) => ['dig', '+short', q, 'SRV'], read: srv },
      PTR: { argv: (q) => ['dig', '+short', '-x', q], read: first },
    },
    host: {
      A: { argv: (q) => ['host', '-t', 'A', q], read: addrs },
      SRV: { argv: (q) => ['host', '-t', 'SRV', q], read: srv },
      PTR: { argv: (q) => ['host', q], read: (o) => dotless(/pointer (\S+)/.exec(o)?.[1] ?? '') },
    },
  };
}

describeRoot(
  'end to end: service discovery and the resolver compatibility matrix (issue 19)',
  () => {
    const world = new World('wn');
    let bin: ResolverClients;
    let alpha: { projectId: string; networkId: string; appId: string };
    let beta: { projectId: string; networkId: string; appId: string };
    const c: Record<string, WorldContainer> = {};
    let app = '';
    let gateway = '';

    beforeAll(async () => {
      try {
        const built = buildResolverClients();
        await world.up(3);
        alpha = await world.project('alpha', ['web', 'worker']);
        beta = await world.project('beta', ['web']);
        app = `${alpha.appId}.${alpha.networkId}.${Z}`;
        gateway = (await world.gql(`query($n: ID!) { network(id: $n) { gateway } }`, { n: alpha.networkId })).network.gateway;
        await world.gql(
          `mutation($a: ID!) { setProcessPorts(applicationId: $a, processType: "web", ports: [{name: "http", port: 8080, protocol: "TCP"}]) { revision } }`,
          {
            a: alpha.appId,
          },
        );
        await world.gql(
          `mutation($a: ID!) { setProcessPorts(applicationId: $a, processType: "worker", ports: [{name: "metrics", port: 9100, protocol: "TCP"}]) { revision } }`,
          {
            a: alpha.appId,
          },
        );
        await world.gql(`mutation($n: ID!, $a: ID!) { setNetworkAlias(networkId: $n, name: "db", applicationId: $a) { revision } }`, {
          n: alpha.networkId,
          a: alpha.appId,
        });
        c.web1 = await world.runContainer(alpha.appId, 'web', 1); // the network's first address, 10.240.0.2, as the README shows
        c.web2 = await world.runContainer(alpha.appId, 'web', 2);
        c.web3 = await world.runContainer(alpha.appId, 'web', 3);
        c.worker1 = await world.runContainer(alpha.appId, 'worker', 2);
        c.beta1 = await world.runContainer(beta.appId, 'web', 1); // the same address in another network
        await world.converged(alpha.networkId);
        await world.converged(beta.networkId);
        bin = await built;
      } catch (error) {
        await world.destroy();
        throw error;
      }
    }, 150_000);

    afterAll(async () => world.destroy(), 60_000);

    it("runs the README's Names examples as printed", async () => {
      const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const block = /<!-- dns-names:start -->\n```sh\n([\s\S]*?)```\n<!-- dns-names:end -->/.exec(text);
      if (!block) throw new Error('README has no dns-names block');
      const [setup, ...digs] = lines(block[1]);
      const webs = [c.web1.ip, c.web2.ip, c.web3.ip].sort();
      const host1 = c.web1.env.SCALINGO_PRIVATE_HOSTNAME;
      const expected: ((out: string) => void)[] = [
        (o) => expect(lines(o)).toEqual([c.web1.ip]),
        (o) => expect(lines(o)).toEqual([1, 2, 3].map((n) => `0 0 8080 ${n}.web.${app}.`)),
        (o) =>
          expect(lines(o)).toContainEqual(expect.stringMatching(new RegExp(`^"type=web n=1 ip=${c.web1.ip.replace(/\./g, '\\.')} host=host-[0-9a-f-]+"$`))),
        (o) => expect(lines(o)).toEqual([`"id=${alpha.appId} default=web"`]),
        (o) => expect(lines(o)).toEqual([`${host1}.`]),
        (o) => expect(ipv4(o)).toEqual(webs),
        (o) => expect([/status: (\w+)/.exec(o)?.[1], /\sIN\s+SOA\s/.test(o)]).toEqual(['NXDOMAIN', true]),
        (o) => expect(lines(o)).toEqual([web1Ipv6]),
        (o) => expect([/status: (\w+)/.exec(o)?.[1], /ANSWER: 0,/.test(o), /\sIN\s+SOA\s/.test(o)]).toEqual(['NOERROR', true, true]),
      ];
      // dual-stack is ON by default (issue 21): web.1's v6 address is its IPv4 offset (2) in the network's /64
      const { network } = await world.gql(`query($n: ID!) { network(id: $n) { cidr ipv6Cidr } }`, { n: alpha.networkId });
      const web1Ipv6 = containerIpv6({ cidr: network.cidr, ipv6: { cidr: network.ipv6Cidr } }, c.web1.ip);
      expect(web1Ipv6).toMatch(/^fd77:6674:[0-9a-f:]+::2$/);
      expect(c.web1.ip).toBe('10.240.0.2');
      expect(digs).toHaveLength(expected.length);
      for (const [i, line] of digs.entries()) {
        const r = await run(c.web1, ['bash', '-c', `${setup}\n${line}`]);
        expect([line, r.code]).toEqual([line, 0]);
        expected[i](r.out);
      }
    }, 60_000);

    it('every client resolves the A, SRV and PTR forms it supports', async () => {
      const { network } = await world.gql(`query($n: ID!) { network(id: $n) { cidr ipv6Cidr } }`, { n: alpha.networkId });
      const webs6 = [c.web1, c.web2, c.web3].map((x) => containerIpv6({ cidr: network.cidr, ipv6: { cidr: network.ipv6Cidr } }, x.ip)!).sort();
      const questions: Record<Form, [string, string]> = {
        A: [`web.${app}`, [c.web1.ip, c.web2.ip, c.web3.ip].sort().join(' ')],
        AAAA: [`web.${app}`, webs6.join(' ')],
        SRV: [`_http._tcp.web.${app}`, [1, 2, 3].map((n) => `8080 ${n}.web.${app}`).join(', ')],
        SRV1: [`_metrics._tcp.worker.${app}`, `9100 1.worker.${app}`],
        PTR: [c.web1.ip, c.web1.env.SCALINGO_PRIVATE_HOSTNAME.toLowerCase()],
      };
      const table = matrix(bin);
      const got: string[] = [];
      const want: string[] = [];
      for (const [client, forms] of Object.entries(table)) {
        const results = await Promise.all(
          (Object.entries(forms) as [Form, Ask][]).map(async ([form, ask]) => {
            const r = await run(c.web1, ask.argv(questions[form][0]), ask.env);
            return { form, value: r.code === 0 ? ask.read(r.out) : `exit ${r.code}: ${r.err.trim()}`, ms: r.ms };
          }),
        );
        for (const r of results) {
          got.push(`${client} ${r.form} → ${r.value}`);
          want.push(`${client} ${r.form} → ${questions[r.form][1]}`);
        }
        console.log(`[e2e] resolver matrix: ${client}: ${results.map((r) => `${r.form} ok in ${r.ms.toFixed(0)} ms`).join(', ')}`);
      }
      expect(got).toEqual(want);
      // why busybox gets the one-target form: the 3-target answer does not fit 512 bytes
      const udp = await run(c.web1, ['dig', '+noedns', '+ignore', '+noall', '+comments', questions.SRV[0], 'SRV']);
      expect(/flags: ([a-z ]+);/.exec(udp.out)?.[1].split(' ')).toContain('tc');
      // and from the other network, whose container has the same address: its own name, none of alpha's
      const fromBeta = await run(c.beta1, ['dig', '+short', '-x', c.beta1.ip]);
      expect(lines(fromBeta.out)).toEqual([`${c.beta1.env.SCALINGO_PRIVATE_HOSTNAME}.`]);
      const srvFromBeta = await run(c.beta1, ['dig', '+noall', '+comments', `_http._tcp.web.${app}`, 'SRV']);
      expect(/status: (\w+)/.exec(srvFromBeta.out)?.[1]).toBe('NXDOMAIN');
      console.log(`[e2e] resolver matrix: ${got.length} client × form checks passed`);
    }, 90_000);

    it('answers parallel A+AAAA lookups at once (glibc, musl, Go, busybox): no retry, no timeout', async () => {
      const name = `1.web.${app}`;
      const asks: [string, string[], Record<string, string>?][] = [
        ['glibc getent ahosts', ['getent', 'ahosts', name]],
        ['musl getaddrinfo', [bin.musl, name]],
        ['Go (netdns=go)', [bin.go, 'host', name], { GODEBUG: 'netdns=go' }],
        ['busybox nslookup', ['busybox', 'nslookup', name]],
      ];
      for (const [client, argv, env] of asks) {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await run(c.web2, argv, env);
          expect([client, r.code, ipv4(r.out.slice(r.out.indexOf('Name:') + 1)).filter((ip) => ip !== '10.240.0.1')]).toEqual([client, 0, [c.web1.ip]]);
          times.push(r.ms);
        }
        // resolv.conf has `timeout:1`: a query left unanswered would cost a whole second
        console.log(`[e2e] parallel A+AAAA, ${client}: ${times.map((t) => t.toFixed(0)).join(', ')} ms (process start included)`);
        expect(Math.max(...times)).toBeLessThan(1000);
      }
    }, 60_000);

    it('truncates a TXT enumeration over 512 bytes and completes it over TCP', async () => {
      for (let i = 0; i < 6; i++) {
        const extra = await world.allocate(alpha.appId, 'worker', 1); // in the model and DNS; no namespace needed
        await world.markRunning(extra.id);
      }
      await world.converged(alpha.networkId);
      const name = `_instances.${app}`;
      const udp = await run(c.web1, ['dig', '+noedns', '+ignore', '+noall', '+comments', name, 'TXT']);
      expect(/flags: ([a-z ]+);/.exec(udp.out)?.[1].split(' ')).toContain('tc');
      const clients: [string, string[], Record<string, string>?][] = [
        ['dig +noedns (retries over TCP)', ['dig', '+noedns', '+short', name, 'TXT']],
        ['host', ['host', '-t', 'TXT', name]],
        ['Go (netdns=go)', [bin.go, 'txt', name], { GODEBUG: 'netdns=go' }],
        ['Java JNDI', ['java', '-cp', bin.javaClassPath, 'Lookup', 'txt', name]],
        ['Node resolveTxt', ['node', bin.node, 'txt', name]],
      ];
      for (const [client, argv, env] of clients) {
        const r = await run(c.web1, argv, env);
        const records = lines(r.out).filter((l) => l.includes('type='));
        expect([client, r.code, records.length]).toEqual([client, 0, 10]);
      }
      console.log(`[e2e] TC→TCP: ${clients.length} clients got all 10 _instances records (the UDP answer without EDNS had TC set)`);
    }, 60_000);

    it('gives a numbered name reused by a new container with another IP at once, within one TTL', async () => {
      const name = `2.web.${app}`;
      const before = await run(c.web1, ['dig', '+short', name, 'A']);
      expect(lines(before.out)).toEqual([c.web2.ip]);
      const seenOld = performance.now();
      await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.web2.id });
      const again = await world.allocate(alpha.appId, 'web', 2);
      await world.markRunning(again.id);
      expect(again.hostname).toBe(c.web2.hostname); // number 2 again
      expect(again.ip).not.toBe(c.web2.ip); // the old address cools down
      await world.converged(alpha.networkId);
      const asks: [string, string[], Record<string, string>?][] = [
        ['glibc', ['getent', 'ahosts', name]], // getaddrinfo; `getent hosts` would list the v6 address (see the matrix)
        ['musl', [bin.musl, name]],
        ['Go', [bin.go, 'host', name], { GODEBUG: 'netdns=go' }],
        ['Python', ['python3', bin.python, 'host', name]],
        ['dig', ['dig', '+short', name, 'A']],
      ];
      const got = await Promise.all(asks.map(async ([client, argv, env]) => `${client} → ${ipv4((await run(c.web1, argv, env)).out).join(' ')}`));
      const elapsed = performance.now() - seenOld;
      expect(got).toEqual(asks.map(([client]) => `${client} → ${again.ip}`));
      expect(lines((await run(c.web1, ['dig', '+short', '-x', again.ip])).out)).toEqual([`${again.hostname}.`]);
      expect(/status: (\w+)/.exec((await run(c.web1, ['dig', '+noall', '+comments', '-x', c.web2.ip])).out)?.[1]).toBe('NXDOMAIN');
      console.log(
        `[e2e] 2.web reused: old address ${c.web2.ip} → new ${again.ip}, every client saw the new one ${elapsed.toFixed(0)} ms after the old answer (TTL 5 s)`,
      );
      expect(elapsed).toBeLessThan(5000);
    }, 60_000);

    it('applies updateNetwork of the TTL on every host (time printed)', async () => {
      const name = `1.web.${app}`;
      const probes = [c.web1, c.worker1, c.web3]; // hosts 1, 2, 3
      // a watcher in each container asks its gateway about every millisecond and stamps the first answer with the new TTL
      const watchers = await Promise.all(probes.map((ctr) => startBackground(world, ctr.ns, probeArgv('dns-watch', gateway))));
      try {
        for (const w of watchers) w.child.stdin!.write(`${name} ${c.web1.ip} 17\n`);
        await sleep(100); // each watcher is asking (and seeing TTL 5)
        const start = performance.timeOrigin + performance.now();
        const up = await world.gql(`mutation($n: ID!) { updateNetwork(input: {networkId: $n, dnsTtl: 17}) { revision } }`, { n: alpha.networkId });
        const answered = performance.timeOrigin + performance.now() - start;
        // the change's commit, as the convergence bench measures from it (bench/convergence.ts)
        const feed = await world.gql(`query($p: ID!, $s: Int!) { projectChanges(projectId: $p, since: $s, first: 1) { changes { revision committedAt } } }`, {
          p: alpha.projectId,
          s: up.updateNetwork.revision - 1,
        });
        expect(feed.projectChanges.changes[0].revision).toBe(up.updateNetwork.revision);
        const committedAt = Date.parse(feed.projectChanges.changes[0].committedAt);
        const seen = await Promise.all(
          watchers.map(async (w) => {
            const end = Date.now() + 10_000;
            while (!w.lines().length && Date.now() < end) await sleep(10);
            return JSON.parse(w.lines()[0] ?? '{"at":null}').at - start;
          }),
        );
        const soa = await run(c.web1, ['dig', '+noall', '+authority', `nope.${alpha.networkId}.${Z}`, 'A']);
        expect(lines(soa.out)[0]).toMatch(/\s17\s+IN\s+SOA\s.*\s17$/); // the negative TTL follows
        console.log(
          `[e2e] updateNetwork dnsTtl 5 → 17: the API answered in ${answered.toFixed(0)} ms; answers carried TTL 17 on host 1/2/3 ${seen.map((t) => t.toFixed(1)).join(' / ')} ms after the call, ${seen.map((t) => (start + t - committedAt).toFixed(1)).join(' / ')} ms after the commit (convergence target: p50 20 ms, p99 50 ms from the commit)`,
        );
        for (const t of seen) expect(t).toBeLessThan(1000);
      } finally {
        await Promise.all(watchers.map((w) => w.stop()));
      }
    }, 30_000);
  },
  { tools: TOOLS },
);
