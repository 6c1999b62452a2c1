/**
 * One scenario of the API suite, written against the TestApi shape so that it runs unchanged on the
 * in-process Node API and on the Worker: project, application, hosts, containers, states, resolve,
 * environment, names, the feed page of a host, coded errors, project deletion. It returns every
 * answer with generated identifiers replaced by stable placeholders, so that the two runtimes can be
 * compared with one `toEqual`.
 */
import { CREATE_CONTAINER, fakeKey, type TestApi } from '../support/api.ts';

/** Replaces generated ids (prj-/pn-/ap-/host-/ctr- + uuid) by their order of first appearance, and VNIs inside derived IPv6 prefixes. */
function normalizer() {
  const seen = new Map<string, string>();
  return (value: unknown): unknown =>
    JSON.parse(
      JSON.stringify(value)
        .replace(/\b(prj|pn|ap|host|ctr)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, (id, prefix: string) => {
          if (!seen.has(id)) seen.set(id, `${prefix}-#${seen.size + 1}`);
          return seen.get(id)!;
        })
        // A network's derived IPv6 prefix holds its (random) VNI: keep the shape, drop the number.
        .replace(/\bfd77:6674:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})?::/g, 'fd77:6674:<vni>::'),
    );
}

/** Drops times and VNIs (random per database); a database generation (one per database) keeps only its shape. */
const strip = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (key === 'committedAt' || key === 'createdAt' || key === 'vni') return undefined;
      if (key === 'generation') return typeof v === 'string' && /^[0-9a-f]{32}$/.test(v) ? '<32 hex digits>' : v;
      return v;
    }),
  );

/** Runs the scenario; `tag` keeps names unique when several worlds share one database. */
export async function runSharedScenario(api: TestApi, tag = 'shop'): Promise<unknown[]> {
  const normalize = normalizer();
  const out: unknown[] = [];
  const record = (label: string, value: unknown) => out.push({ [label]: normalize(strip(value)) });

  const p = await api.ok(`mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id name network { id cidr gateway dnsTtl } } } }`, {
    i: { name: tag, cidr: '10.9.0.0/28' },
  });
  record('project', p);
  const projectId: string = p.createProject.project.id;
  const networkId: string = p.createProject.project.network.id;
  const a = await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id name processTypes { name exposure } } } }`, {
    i: { projectId, name: 'api', processTypes: ['web', 'worker'] },
  });
  record('application', a);
  const applicationId: string = a.createApplication.application.id;
  const hostIds: string[] = [];
  for (let i = 0; i < 2; i++) {
    const h = await api.ok(`mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id name endpoint meshIp } } }`, {
      i: { name: `${tag}-h${i + 1}`, endpoint: `192.0.2.${i + 1}:51820`, publicKey: fakeKey(500 + i) },
    });
    record('host', h);
    hostIds.push(h.registerHost.host.id);
  }
  const made = [];
  for (const [type, host] of [
    ['web', 0],
    ['web', 1],
    ['worker', 1],
  ] as const) {
    const c = await api.ok(CREATE_CONTAINER, { i: { applicationId, processType: type, hostId: hostIds[host] } });
    record('container', c.createContainer.container);
    made.push(c.createContainer.container);
  }
  for (const c of made) record('running', await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { container { id state } } }`, { id: c.id }));

  const name = `${applicationId}.${networkId}.private-network.internal`;
  const resolve = `query($n: ID!, $q: String!, $t: String) { resolve(networkId: $n, name: $q, type: $t) { rcode records { name type ttl data } } }`;
  for (const [q, t] of [
    [name, null],
    [`worker.${name}`.toUpperCase(), null],
    [`nope.${name}`, null],
    [name, 'AAAA'],
  ] as const)
    record('resolve', await api.ok(resolve, { n: networkId, q, t }));
  record('environment', await api.ok(`query($id: ID!) { container(id: $id) { environment { name value } } }`, { id: made[0].id }));
  record('names', await api.ok(`query($a: ID!) { privateDomainNames(applicationId: $a) }`, { a: applicationId }));
  const snapshot = await api.ok(`query($h: ID!) { hostConfig(hostId: $h) { config } }`, { h: hostIds[1] });
  record('hostConfig', { ...snapshot.hostConfig.config, revision: 'R' });
  const page = await api.ok(`query($h: ID!) { hostChanges(hostId: $h, since: 0) { resync hasMore changes { kind networkId hostId payload } } }`, {
    h: hostIds[0],
  });
  record('hostChanges', page);

  // The /28 has 13 usable addresses after the gateway: ten more fit, the eleventh is NETWORK_FULL.
  for (let i = 0; i < 11; i++) {
    const r = await api.gql(CREATE_CONTAINER, { i: { applicationId, processType: 'worker', hostId: hostIds[0] } });
    record('fill', r.errors ? { code: r.errors[0].extensions?.code } : r.data);
  }
  const errors: [string, Record<string, unknown>][] = [
    [`mutation { createProject(input: { name: "x", cidr: "10.0.0.0/8" }) { revision } }`, {}],
    [`mutation($a: ID!) { createApplication(input: { projectId: $a, name: "api" }) { revision } }`, { a: projectId }],
    [`mutation { createApplication(input: { projectId: "prj-nope", name: "z" }) { revision } }`, {}],
    [
      `mutation($a: ID!, $h: ID!) { createContainer(input: { applicationId: $a, processType: "we b", hostId: $h }) { revision } }`,
      { a: applicationId, h: hostIds[0] },
    ],
    [`mutation($m: ID!) { markContainerPending: drainContainer(id: $m) { revision } }`, { m: 'ctr-nope' }],
    [`query { application(id: "ap-nope") { id } }`, {}],
  ];
  for (const [query, variables] of errors) {
    const r = await api.gql(query, variables);
    record('error', { code: r.errors?.[0].extensions?.code, data: r.data ?? null });
  }
  record('deleted', await api.ok(`mutation($p: ID!) { deleteProject(id: $p) { deletedId } }`, { p: projectId }));
  record('gone', (await api.gql(`query($p: ID!) { project(id: $p) { id } }`, { p: projectId })).errors?.[0].extensions?.code);
  record('leftovers', await api.ok(`query($h: ID!) { hostConfig(hostId: $h) { config } }`, { h: hostIds[1] }).then((r) => r.hostConfig.config.networks));
  return out;
}
