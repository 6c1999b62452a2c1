/**
 * The API's CPU per agent status report, on the real server (issue 17):
 *   npx tsx bench/report-cost.ts [rounds] [--baseline <rev>]
 * The API runs in its own process (bench/api-process.ts; its CPU read from /proc). One network with
 * 10 hosts; each round commits a change that concerns them all, then every host reports the new
 * revision at once (at 1,000 hosts a commit concerns ~10), with the body the agent sends (every
 * network's health and the safety state). Timed ways, over the same rounds: an authenticated
 * `{ __typename }` (the GraphQL request path alone), the `reportHostStatus` mutation, and
 * POST /agent/report where the tree has it. With --baseline, the same against that revision's API.
 * Prints API CPU per report (µs) for each way and tree.
 */
import { AGENT_REPORT_PATH } from '../protocol/agent-report.ts';
import { startBenchApi, gql } from './api-process.ts';
import { baselineArg, baselineLabel, baselineRoot, consumerDialect, REPO_ROOT, resolveRevision } from './baseline.ts';

const ROUNDS = Number(/^\d+$/.test(process.argv[2] ?? '') ? process.argv[2] : 200);
const HOSTS = 10;
const REPORT = `mutation($i: ReportHostStatusInput!) { reportHostStatus(input: $i) { hostId } }`;

async function measure(root: string): Promise<Record<string, number>> {
  const api = await startBenchApi({ LOG_LEVEL: 'info' }, undefined, root);
  try {
    const call = <T = any>(q: string, v: Record<string, unknown> = {}, token = api.admin) => gql<T>(api.url, token, q, v);
    const p = await call(`mutation { createProject(input: { name: "cost", cidr: "10.8.0.0/16" }) { project { id network { id } } } }`);
    const networkId: string = p.createProject.project.network.id;
    const a = await call(`mutation($p: ID!) { createApplication(input: { projectId: $p, name: "a" }) { application { id } } }`, {
      p: p.createProject.project.id,
    });
    const appId: string = a.createApplication.application.id;
    const hosts: { id: string; token: string }[] = [];
    for (let i = 0; i < HOSTS; i++) {
      const key = Buffer.alloc(32, i + 1).toString('base64');
      const h = await call(`mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id } agentToken } }`, {
        i: { name: `cost-${i}`, endpoint: `192.0.2.${i + 1}:51820`, publicKey: key },
      });
      hosts.push({ id: h.registerHost.host.id, token: h.registerHost.agentToken });
    }
    const commit = async (hostId: string) =>
      (
        await call(`mutation($i: CreateContainerInput!) { createContainer(input: $i) { revision } }`, {
          i: { applicationId: appId, processType: 'web', hostId },
        })
      ).createContainer.revision as number;
    for (const h of hosts) await commit(h.id); // every host a member
    const body = (hostId: string, revision: number) => ({
      hostId,
      appliedRevision: revision,
      applyMs: 3,
      networks: [{ networkId, healthy: true }],
      safety: { brake: null, fence: null },
    });
    const ways: Record<string, (h: { id: string; token: string }, revision: number) => Promise<unknown>> = {
      '{ __typename }': (h) => call('{ __typename }', {}, h.token),
      reportHostStatus: (h, revision) => call(REPORT, { i: body(h.id, revision) }, h.token),
    };
    if (consumerDialect(root).reportRoute)
      ways[`POST ${AGENT_REPORT_PATH}`] = async (h, revision) => {
        const r = await fetch(`${api.url}${AGENT_REPORT_PATH}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body(h.id, revision)),
        });
        if (r.status !== 204) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
      };
    const out: Record<string, number> = {};
    const only = process.env.REPORT_COST_ONLY; // e.g. "agent/report", to profile one way alone (BENCH_API_PROF)
    for (let pass = 0; pass < 2; pass++) {
      for (const [name, way] of Object.entries(ways).filter(([n]) => !only || n.includes(only))) {
        let cpu = 0;
        for (let r = 0; r < ROUNDS; r++) {
          const revision = await commit(hosts[r % HOSTS].id);
          await new Promise((res) => setTimeout(res, 20)); // the commit's own work (feed, streams) done first
          const c0 = api.cpuSeconds();
          await Promise.all(hosts.map((h) => way(h, revision)));
          cpu += api.cpuSeconds() - c0;
        }
        if (pass === 1) out[name] = (cpu * 1e6) / (ROUNDS * HOSTS); // the first pass warms up
      }
    }
    return out;
  } finally {
    await api.stop();
  }
}

const baseRev = baselineArg('report-cost');
const trees = [{ label: 'this tree', root: REPO_ROOT }];
if (baseRev) {
  const sha = await resolveRevision(baseRev);
  trees.push({ label: baselineLabel(sha), root: await baselineRoot(baseRev) });
}
for (const tree of trees) {
  const result = await measure(tree.root);
  for (const [way, us] of Object.entries(result)) console.log(`${tree.label.padEnd(16)} ${way.padEnd(22)} ${us.toFixed(0).padStart(6)} µs API CPU per report`);
}
