/**
 * `npm run demo`: the whole of Weft on one Linux machine, as root — the control API with its
 * embedded database, 3 hosts as network namespaces on a private underlay with wireguard-go, a real
 * weft-agent per host, and a tiny container runtime — then the things users need, step by step with
 * timings. Everything is removed on exit, on Ctrl-C, and (after a crash) at the next start.
 * Traffic stays inside the demo's namespaces (underlay 192.0.2.0/24, TEST-NET-1) and loopback.
 *
 *   npm run demo              run the steps, then clean up
 *   npm run demo -- --keep    keep the world running until Ctrl-C, and print the web console's URL
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signToken } from '../src/auth/jwt.ts';
import { loadSigningKeys } from '../src/auth/keys.ts';
import { World, type WorldContainer } from '../lab/world.ts';
import { runProbe, serveEcho } from '../lab/probes.ts';
import { forgetAll, recordLabDir, recordProcess, removeLeftovers } from './leftovers.ts';
import { convergence, digShort, say, since, step, watchDns } from './show.ts';

const Z = 'private-network.internal';
const TOOLS = ['ip', 'nft', 'wg', 'wireguard-go', 'dig', 'host', 'nc', 'ping', 'nsenter'];

function preflight(): void {
  if (process.platform !== 'linux') fail(`the demo needs Linux (network namespaces); this is ${process.platform}`);
  if (process.getuid?.() !== 0) fail('the demo needs root (it creates network namespaces): run it with sudo, e.g. `sudo npm run demo`');
  const missing = TOOLS.filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length)
    fail(
      `missing tools: ${missing.join(', ')} (Debian: apt-get install wireguard-go wireguard-tools nftables iproute2 dnsutils iputils-ping netcat-openbsd util-linux)`,
    );
}

function fail(message: string): never {
  console.error(`weft demo: ${message}`);
  process.exit(2);
}

preflight();
const keep = process.argv.includes('--keep');
const left = removeLeftovers();
const world = new World('dm', () => {}, recordProcess);
recordLabDir(world.lab.dir);

let cleaning: Promise<void> | null = null;
const cleanUp = () =>
  (cleaning ??= (async () => {
    step('Cleaning up: agents, DNS daemons, wireguard-go, the API, every namespace');
    const start = Date.now();
    await world.destroy();
    forgetAll();
    say(`done in ${since(start)}`);
  })());
let interrupted = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    interrupted = true;
    void cleanUp().finally(() => process.exit(code));
  });
}

const label = (c: WorldContainer, app: string) => `${app} ${c.hostname.split('.').slice(0, 2).reverse().join('.')} (host ${c.host}, ${c.ip})`;

async function project(name: string) {
  const p = await world.gql(`mutation($n: String!) { createProject(input: { name: $n }) { project { id network { id vni cidr } } } }`, { n: name });
  return p.createProject.project as { id: string; network: { id: string; vni: number; cidr: string } };
}

async function main(): Promise<void> {
  if (left.length) {
    step('Removing what a previous run left behind');
    for (const line of left) say(line);
  }

  step('Starting the control API (Node, embedded libSQL), 3 hosts with wireguard-go, one weft-agent per host');
  let start = Date.now();
  await world.up(3);
  const hosts = (await world.gql(`{ hosts { edges { node { id name meshIp endpoint } } } }`)).hosts.edges.map((e: { node: unknown }) => e.node);
  for (const h of hosts) say(`${h.name}: underlay ${h.endpoint}, mesh ${h.meshIp}`);
  say(`API ${world.api.url}/graphql; ready in ${since(start)}`);

  step('Project "shop": app "storefront" (web, switched PRIVATE) and app "jobs" (worker); project "blog": app "blog" (web)');
  const shop = await project('shop');
  const storefront = await world.application(shop.id, 'storefront', ['web']);
  const jobs = await world.application(shop.id, 'jobs', ['worker']);
  const switched = await world.gql(
    `mutation($a: ID!) { setProcessExposure(applicationId: $a, processType: "web", exposure: PRIVATE) { application { processTypes { name exposure } } } }`,
    { a: storefront },
  );
  const routes = await world.gql(`query($p: ID!) { publicRoutes(projectId: $p) { processType } }`, { p: shop.id });
  say(`shop  ${shop.id}  network ${shop.network.id} (VNI ${shop.network.vni}, ${shop.network.cidr})`);
  say(
    `storefront ${storefront}: process types ${JSON.stringify(switched.setProcessExposure.application.processTypes)} — private-only by the switch; public routes of shop: ${JSON.stringify(routes.publicRoutes)}`,
  );
  say(`jobs       ${jobs}`);
  const blog = await project('blog');
  const blogApp = await world.application(blog.id, 'blog', ['web']);
  say(`blog  ${blog.id}  network ${blog.network.id} (VNI ${blog.network.vni}, ${blog.network.cidr}) — the same addresses, another network`);
  say(`blog       ${blogApp}`);

  step('Starting containers over the hosts (allocate in the API → namespace → attach through the agent → RUNNING)');
  start = Date.now();
  const web1 = await world.runContainer(storefront, 'web', 1);
  const web2 = await world.runContainer(storefront, 'web', 2);
  const worker1 = await world.runContainer(jobs, 'worker', 3);
  const blog1 = await world.runContainer(blogApp, 'web', 1);
  const blog2 = await world.runContainer(blogApp, 'web', 3);
  for (const [c, app] of [
    [web1, 'storefront'],
    [web2, 'storefront'],
    [worker1, 'jobs'],
    [blog1, 'blog'],
    [blog2, 'blog'],
  ] as const)
    say(`${label(c, app)}  ${c.hostname}`);
  await convergence(world, shop.network.id, start, 'shop');
  await convergence(world, blog.network.id, start, 'blog');
  say(
    `environment inside jobs worker.1: ${world
      .exec(worker1, ['env'])
      .split('\n')
      .filter((l) => l.startsWith('SCALINGO_'))
      .join('  ')}`,
  );

  const appName = `${storefront}.${shop.network.id}.${Z}`;
  step(`The seed's check, inside jobs worker.1 (host 3): host ${appName}`);
  start = Date.now();
  for (const line of world.exec(worker1, ['host', appName]).trim().split('\n')) say(line);
  say(`(${since(start)})`);

  step('Cross-host traffic on arbitrary ports: TCP and UDP 31337 to storefront web.1 (host 1), 40000 to web.2 (host 2), from jobs worker.1 (host 3)');
  await serveEcho(world, web1.ns, 'storefront web.1', web1.ip, 31337);
  await serveEcho(world, web2.ns, 'storefront web.2', web2.ip, 40000);
  for (const [target, port] of [
    [web1, 31337],
    [web2, 40000],
  ] as const) {
    start = Date.now();
    const r = (await runProbe(worker1.ns, 'matrix', port, target.ip))[target.ip];
    say(`${target.ip}:${port}  TCP answered by ${r.tcp}, UDP answered by ${r.udp}   (${since(start)})`);
  }
  const rtt = /rtt [^\n]*/.exec(world.exec(worker1, ['ping', '-c', '5', '-i', '0.2', web1.ip]))?.[0];
  say(`ICMP worker.1 → web.1: ${rtt}`);

  step('Isolation: blog web.1 (host 1) against shop');
  for (const line of world
    .exec(blog1, ['sh', '-c', `host ${appName} || true`])
    .trim()
    .split('\n'))
    say(`host ${appName.slice(0, 20)}… → ${line.replace(appName, '…')}`);
  await serveEcho(world, blog2.ns, 'blog web.2', blog2.ip, 31337);
  const iso = await runProbe(blog1.ns, 'matrix', 31337, `${blog2.ip},${worker1.ip}`);
  say(`${blog2.ip}:31337 (in both networks) → TCP ${iso[blog2.ip].tcp}, UDP ${iso[blog2.ip].udp}: blog reaches its own container`);
  say(`${worker1.ip}:31337 (only in shop) → TCP ${iso[worker1.ip].tcp}, UDP ${iso[worker1.ip].udp}`);

  step('Scale-up: storefront web.3 on host 3 and web.4 on host 1, watched from jobs worker.1');
  const dns = watchDns(worker1, appName, 'storefront');
  await dns.until(2);
  for (const [host, n] of [
    [3, 3],
    [1, 4],
  ] as const) {
    const c = await world.attach(await world.allocate(storefront, 'web', host));
    start = Date.now();
    dns.mark();
    await world.markRunning(c.id);
    say(`markContainerRunning web.${n} (host ${host}, ${c.ip})`);
    await dns.until(n);
    await convergence(world, shop.network.id, start);
  }

  step('Drain storefront web.2: out of DNS at once, still reachable; then removal tears it down everywhere');
  start = Date.now();
  dns.mark();
  await world.gql(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: web2.id });
  say('drainContainer web.2');
  await dns.until(3);
  await convergence(world, shop.network.id, start);
  say(`ping web.1 → web.2 while DRAINING: ${/\d+% packet loss/.exec(world.exec(web1, ['sh', '-c', `ping -c 2 -i 0.2 -W 1 ${web2.ip} || true`]))?.[0]}`);
  start = Date.now();
  await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: web2.id });
  say('removeContainer web.2 (host 2 leaves the network: it has no other shop container)');
  await convergence(world, shop.network.id, start);
  say(`ping web.1 → web.2 after removal: ${/\d+% packet loss/.exec(world.exec(web1, ['sh', '-c', `ping -c 2 -i 0.2 -W 1 ${web2.ip} || true`]))?.[0]}`);
  await dns.stop();
  say(
    `storefront now resolves to ${(await digShort(blog1, appName)).length ? '(visible from blog?!)' : 'nothing from blog'} and to ${(await digShort(worker1, appName)).join(' ')} from shop`,
  );

  if (keep) {
    // The console (docs/console.md) watches the demo's world live; its token goes to a file, never to the terminal.
    const tokenFile = join(world.lab.dir, 'console-admin-token');
    const auth = world.apiConfig.auth;
    writeFileSync(tokenFile, `${await signToken(await loadSigningKeys(auth), auth, { kind: 'admin', sub: 'demo' }, 24 * 3600)}\n`, { mode: 0o600 });
    say(`console: ${world.api.url}/console/ (sign in with the admin token in ${tokenFile}; removed on exit)`);
    step('Running; press Ctrl-C to clean up');
    await new Promise(() => {});
  }
}

main()
  .then(() => cleanUp())
  .then(() => process.exit(0)) // the in-process API's feed timers would otherwise outlive the world
  .catch(async (error) => {
    if (interrupted) return; // the signal handler is cleaning up and exits
    console.error(`\nweft demo failed: ${(error as Error).stack ?? error}`);
    await cleanUp();
    process.exit(1);
  });
