/**
 * The API's CPU per agent status report, in process (issue 17): `npx tsx bench/report-cost.ts [n]`.
 * One network with 10 hosts; each round commits a change that concerns them all, then every host
 * reports the new revision (10 reports at once, as at 1,000 hosts each commit concerns ~10). Four
 * ways are timed with process.cpuUsage over the same rounds: an authenticated `{ __typename }`
 * (the GraphQL request path alone), the `reportHostStatus` mutation, the agent report route, and
 * the service alone. Prints ms of CPU per report for each.
 */
import { AGENT_REPORT_PATH } from '../protocol/agent-report.ts';
import { reportHostStatus } from '../src/services/hosts/report.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi } from '../test/support/api.ts';

// The in-process app logs each request with console.log (the server uses pino): keep that out of the count.
const print = (line: string) => process.stdout.write(`${line}\n`);
console.log = () => {};
const ROUNDS = Number(process.argv[2] ?? 150);
const HOSTS = 10;
const REPORT = `mutation($i: ReportHostStatusInput!) { reportHostStatus(input: $i) { hostId } }`;

const api = await startTestApi({ LOG_LEVEL: 'silent' });
const w = await seedWorld(api, { hosts: HOSTS });
const tokens = await Promise.all(w.hostIds.map((h) => api.token({ kind: 'agent', sub: `agent:${h}`, host: h, ver: 1 })));
const services = { db: api.db, config: api.config, now: () => Date.now() };

const commit = async () =>
  (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.revision as number;
const route = (i: number, body: unknown) =>
  api.fetch(
    new Request(`http://weft.test${AGENT_REPORT_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[i]}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );

type Way = (i: number, revision: number) => Promise<unknown>;
const ways: Record<string, Way> = {
  'GraphQL { __typename } (request path)': (i) => api.ok('{ __typename }', {}, tokens[i]),
  'reportHostStatus mutation': (i, revision) => api.ok(REPORT, { i: { hostId: w.hostIds[i], appliedRevision: revision, applyMs: 3 } }, tokens[i]),
  [`POST ${AGENT_REPORT_PATH}`]: async (i, revision) => {
    const r = await route(i, { hostId: w.hostIds[i], appliedRevision: revision, applyMs: 3 });
    if (r.status !== 204) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  },
  'service alone (reportHostStatus)': (i, revision) => reportHostStatus(services, { hostId: w.hostIds[i], appliedRevision: revision, applyMs: 3 }),
};

for (let pass = 0; pass < 2; pass++) {
  for (const [name, way] of Object.entries(ways).filter(([n]) => !process.env.ONLY || n.includes(process.env.ONLY))) {
    let cpu = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const revision = await commit();
      await new Promise((r) => setTimeout(r, 5)); // let the watch cache file the commit first
      const t0 = process.cpuUsage();
      await Promise.all(w.hostIds.map((_, i) => way(i, revision)));
      const d = process.cpuUsage(t0);
      cpu += d.user + d.system;
    }
    if (pass === 1) print(`${name.padEnd(40)} ${(cpu / 1000 / (ROUNDS * HOSTS)).toFixed(3)} ms CPU per report`);
  }
}
await api.close();
