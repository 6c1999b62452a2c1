import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from './evaluate.ts';
import type { PolicyProtocol, PolicyRule } from './model.ts';

const peer = (applicationId: string, processType: string | null = null) => ({ applicationId, processType });
const tcp = (from: number, to = from) => ({ from, to });
const at = (spec: string) => {
  const [applicationId, processType] = spec.split('/');
  return { applicationId, processType };
};

// The ModSecurity example, plus a type-scoped rule and an ICMP rule.
const rules: PolicyRule[] = [
  { from: peer('proxy'), to: peer('backend'), protocol: 'TCP', ports: [tcp(8080)] },
  { from: peer('backend', 'web'), to: peer('db', 'postgres'), protocol: 'TCP', ports: [tcp(5432), tcp(6000, 6010)] },
  { from: peer('proxy', 'web'), to: peer('backend'), protocol: 'ICMP', ports: [] },
];

describe('evaluatePolicy: named means isolated', () => {
  const table: [from: string, to: string, proto: PolicyProtocol, port: number | null, verdict: string, reason: string, rule: number | null][] = [
    ['proxy/web', 'backend/web', 'TCP', 8080, 'ALLOW', 'RULE', 0],
    ['proxy/worker', 'backend/web', 'TCP', 8080, 'ALLOW', 'RULE', 0], // app selector: every type
    ['worker/web', 'backend/web', 'TCP', 8080, 'DENY', 'DEFAULT_DENY', null],
    ['proxy/web', 'backend/web', 'UDP', 8080, 'DENY', 'DEFAULT_DENY', null], // protocol is part of the rule
    ['proxy/web', 'backend/web', 'TCP', 8081, 'DENY', 'DEFAULT_DENY', null], // unrelated port
    ['proxy/web', 'backend/web', 'ICMP', null, 'ALLOW', 'RULE', 2],
    ['proxy/worker', 'backend/web', 'ICMP', null, 'DENY', 'DEFAULT_DENY', null], // ICMP rule names proxy/web only
    ['backend/web', 'backend/web', 'TCP', 8080, 'DENY', 'DEFAULT_DENY', null], // isolated from its own app too
    ['worker/web', 'proxy/web', 'TCP', 80, 'ALLOW', 'OPEN', null], // proxy is named only as a source: open
    ['backend/web', 'db/postgres', 'TCP', 6005, 'ALLOW', 'RULE', 1],
    ['backend/web', 'db/postgres', 'TCP', 6011, 'DENY', 'DEFAULT_DENY', null],
    ['backend/worker', 'db/postgres', 'TCP', 5432, 'DENY', 'DEFAULT_DENY', null], // type-scoped source
    ['backend/web', 'db/admin', 'TCP', 5432, 'ALLOW', 'OPEN', null], // type-scoped destination: other types stay open
  ];
  it.each(table)('%s → %s %s/%s: %s (%s)', (from, to, proto, port, verdict, reason, ruleIndex) => {
    expect(evaluatePolicy({ rules }, at(from), at(to), proto, port)).toEqual({ verdict, reason, ruleIndex });
  });

  it('with no rule every destination is open', () => {
    expect(evaluatePolicy({ rules: [] }, at('worker/web'), at('backend/web'), 'UDP', 9)).toEqual({ verdict: 'ALLOW', reason: 'OPEN', ruleIndex: null });
  });
});
