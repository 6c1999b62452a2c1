/**
 * Policy input → a checked NetworkPolicy, and the policy tests run against it (docs/policies.md).
 * Pure and shared: the API refuses a write on any problem listed here; nothing is thrown, so the
 * caller turns the list into its own coded error.
 *
 * Applications are named by name or id, process types by name; both must exist. Refused: a port
 * range that is empty, reversed or outside 1–65535; ports on an ICMP rule or none on TCP/UDP; two
 * rules with the same ends and protocol whose ports overlap (or a rule overlapping itself); more
 * rules, tests or ranges than POLICY_LIMITS; a test that does not parse or names an unknown app.
 */
import { evaluatePolicy, type PolicyReason } from './evaluate.ts';
import {
  type NetworkPolicy,
  POLICY_LIMITS,
  type PolicyEndpoint,
  type PolicyMode,
  type PolicyPeer,
  type PolicyProtocol,
  type PolicyRule,
  type PolicyTest,
  type PolicyVerdict,
  type PortRange,
} from './model.ts';

/** An application of the network as validation needs it. */
export interface PolicyApplication {
  id: string;
  name: string;
  processTypes: string[];
}

/** A rule as a client writes it: applications by name or id. `to` of a port range defaults to `from`. */
export interface PolicyRuleInput {
  from: { application: string; processType?: string | null };
  to: { application: string; processType?: string | null };
  protocol: PolicyProtocol;
  ports?: { from: number; to?: number | null }[] | null;
}

export interface PolicyProblem {
  field: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: PolicyProblem[] };

/** Resolves and checks rules; the policy carries `version: 0` until the write stamps it. */
export function checkPolicy(apps: PolicyApplication[], mode: PolicyMode, rules: PolicyRuleInput[], tests: PolicyTest[]): Checked<NetworkPolicy> {
  const problems: PolicyProblem[] = [];
  if (rules.length > POLICY_LIMITS.rules) problems.push({ field: 'rules', message: `at most ${POLICY_LIMITS.rules} rules (got ${rules.length})` });
  if (tests.length > POLICY_LIMITS.tests) problems.push({ field: 'tests', message: `at most ${POLICY_LIMITS.tests} tests (got ${tests.length})` });
  const out: PolicyRule[] = [];
  rules.forEach((r, i) => {
    const field = `rules[${i}]`;
    const from = resolvePeer(apps, r.from, `${field}.from`, problems);
    const to = resolvePeer(apps, r.to, `${field}.to`, problems);
    const ports = checkPorts(r, field, problems);
    if (from && to && ports) out.push({ from, to, protocol: r.protocol, ports });
  });
  out.forEach((a, i) => {
    for (let j = i + 1; j < out.length; j++) {
      const b = out[j];
      if (samePeer(a.from, b.from) && samePeer(a.to, b.to) && a.protocol === b.protocol && (a.protocol === 'ICMP' || overlap(a.ports, b.ports)))
        problems.push({ field: `rules[${j}]`, message: `duplicates rules[${i}] (same ends and protocol, overlapping ports)` });
    }
  });
  tests.forEach((t, i) => {
    for (const p of parseTest(apps, t).problems) problems.push({ field: `tests[${i}]`, message: p });
  });
  return problems.length ? { ok: false, problems } : { ok: true, value: { mode, rules: out, tests, version: 0 } };
}

/** One failing policy test: what it expected and what the policy gives, case by case. */
export interface PolicyTestFailure {
  index: number;
  from: string;
  to: string;
  expect: PolicyVerdict;
  got: PolicyVerdict;
  reason: PolicyReason;
  case: string; // the concrete case that failed, e.g. "worker/worker → backend/web:8080/TCP"
}

/** Runs the stored tests against a checked policy; [] when all pass. A test of an app without type holds for each of its types. */
export function runPolicyTests(apps: PolicyApplication[], policy: Pick<NetworkPolicy, 'rules' | 'tests'>): PolicyTestFailure[] {
  const failures: PolicyTestFailure[] = [];
  policy.tests.forEach((t, index) => {
    const parsed = parseTest(apps, t);
    if (!parsed.value) return;
    const { from, to, proto, port } = parsed.value;
    for (const f of from)
      for (const d of to) {
        const got = evaluatePolicy(policy, f, d, proto, port);
        if (got.verdict === t.expect) continue;
        const where = proto === 'ICMP' ? 'icmp' : `${port}/${proto}`;
        failures.push({
          index,
          from: t.from,
          to: t.to,
          expect: t.expect,
          got: got.verdict,
          reason: got.reason,
          case: `${label(apps, f)} → ${label(apps, d)}:${where}`,
        });
        return;
      }
  });
  return failures;
}

interface ParsedTest {
  from: PolicyEndpoint[];
  to: PolicyEndpoint[];
  proto: PolicyProtocol;
  port: number | null;
}

/** `"<app>[/<type>]"` and `"<app>[/<type>]:<port>/<proto>"` (or `…:icmp`) into concrete endpoints. */
export function parseTest(apps: PolicyApplication[], t: PolicyTest): { value: ParsedTest | null; problems: string[] } {
  const problems: string[] = [];
  const m = /^([^:\s]+):(?:(\d+)\/(tcp|udp)|(icmp))$/i.exec(t.to.trim());
  if (!m) return { value: null, problems: [`to "${t.to}" is not <app>[/<type>]:<port>/<tcp|udp> or <app>[/<type>]:icmp`] };
  const port = m[2] ? Number(m[2]) : null;
  if (port !== null && (port < 1 || port > 65535)) problems.push(`port ${port} is outside 1–65535`);
  const from = endpoints(apps, t.from.trim(), 'from', problems);
  const to = endpoints(apps, m[1], 'to', problems);
  const proto = (m[4] ? 'ICMP' : m[3].toUpperCase()) as PolicyProtocol;
  return problems.length ? { value: null, problems } : { value: { from, to, proto, port }, problems };
}

function endpoints(apps: PolicyApplication[], text: string, side: string, problems: string[]): PolicyEndpoint[] {
  const [name, type, extra] = text.split('/');
  const app = findApp(apps, name);
  if (!app || extra !== undefined) {
    problems.push(app ? `${side} "${text}" is not <app>[/<type>]` : `${side}: unknown application "${name}"`);
    return [];
  }
  if (type !== undefined && !app.processTypes.includes(type)) {
    problems.push(`${side}: application "${app.name}" has no process type "${type}"`);
    return [];
  }
  return (type !== undefined ? [type] : app.processTypes).map((processType) => ({ applicationId: app.id, processType }));
}

function resolvePeer(apps: PolicyApplication[], p: PolicyRuleInput['from'], field: string, problems: PolicyProblem[]): PolicyPeer | null {
  const app = findApp(apps, p.application);
  if (!app) return (problems.push({ field, message: `unknown application "${p.application}"` }), null);
  const type = p.processType ?? null;
  if (type !== null && !app.processTypes.includes(type))
    return (problems.push({ field, message: `application "${app.name}" has no process type "${type}"` }), null);
  return { applicationId: app.id, processType: type };
}

function checkPorts(r: PolicyRuleInput, field: string, problems: PolicyProblem[]): PortRange[] | null {
  const input = r.ports ?? [];
  if (r.protocol === 'ICMP') {
    if (input.length) return (problems.push({ field: `${field}.ports`, message: 'an ICMP rule has no ports' }), null);
    return [];
  }
  if (!input.length) return (problems.push({ field: `${field}.ports`, message: `a ${r.protocol} rule needs at least one port range` }), null);
  if (input.length > POLICY_LIMITS.rangesPerRule)
    return (problems.push({ field: `${field}.ports`, message: `at most ${POLICY_LIMITS.rangesPerRule} port ranges per rule` }), null);
  const ranges = input.map((p) => ({ from: p.from, to: p.to ?? p.from }));
  let ok = true;
  ranges.forEach((p, k) => {
    const bad = !Number.isInteger(p.from) || !Number.isInteger(p.to) || p.from < 1 || p.to > 65535;
    if (bad || p.from > p.to) {
      ok = false;
      problems.push({
        field: `${field}.ports[${k}]`,
        message: bad ? `port range ${p.from}-${p.to} is outside 1–65535` : `port range ${p.from}-${p.to} is reversed`,
      });
    }
  });
  if (ok && ranges.some((a, i) => ranges.some((b, j) => j > i && overlap([a], [b]))))
    return (problems.push({ field: `${field}.ports`, message: 'port ranges of one rule overlap' }), null);
  return ok ? [...ranges].sort((a, b) => a.from - b.from) : null;
}

function findApp(apps: PolicyApplication[], nameOrId: string): PolicyApplication | undefined {
  return apps.find((a) => a.id === nameOrId) ?? apps.find((a) => a.name === nameOrId);
}

function samePeer(a: PolicyPeer, b: PolicyPeer): boolean {
  return a.applicationId === b.applicationId && a.processType === b.processType;
}

function overlap(a: PortRange[], b: PortRange[]): boolean {
  return a.some((x) => b.some((y) => x.from <= y.to && y.from <= x.to));
}

function label(apps: PolicyApplication[], e: PolicyEndpoint): string {
  return `${apps.find((a) => a.id === e.applicationId)?.name ?? e.applicationId}/${e.processType}`;
}
