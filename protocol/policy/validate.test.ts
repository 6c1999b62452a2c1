import { describe, expect, it } from 'vitest';
import type { PolicyTest } from './model.ts';
import { checkPolicy, type PolicyApplication, type PolicyRuleInput, runPolicyTests } from './validate.ts';

const apps: PolicyApplication[] = [
  { id: 'ap-p', name: 'proxy', processTypes: ['web'] },
  { id: 'ap-b', name: 'backend', processTypes: ['web', 'clock'] },
  { id: 'ap-w', name: 'worker', processTypes: ['worker'] },
];
const only: PolicyRuleInput = { from: { application: 'proxy' }, to: { application: 'backend' }, protocol: 'TCP', ports: [{ from: 8080 }] };
const test = (from: string, to: string, expect: 'ALLOW' | 'DENY'): PolicyTest => ({ from, to, expect });

describe('checkPolicy', () => {
  it('resolves applications by name or id and closes single ports', () => {
    const r = checkPolicy(apps, 'ENFORCE', [only, { ...only, from: { application: 'ap-w', processType: 'worker' }, protocol: 'ICMP', ports: [] }], []);
    expect(r).toEqual({
      ok: true,
      value: {
        mode: 'ENFORCE',
        version: 0,
        tests: [],
        rules: [
          {
            from: { applicationId: 'ap-p', processType: null },
            to: { applicationId: 'ap-b', processType: null },
            protocol: 'TCP',
            ports: [{ from: 8080, to: 8080 }],
          },
          { from: { applicationId: 'ap-w', processType: 'worker' }, to: { applicationId: 'ap-b', processType: null }, protocol: 'ICMP', ports: [] },
        ],
      },
    });
  });

  const bad: [string, PolicyRuleInput[], PolicyTest[], { field: string; message: string }[]][] = [
    ['unknown app', [{ ...only, to: { application: 'nope' } }], [], [{ field: 'rules[0].to', message: 'unknown application "nope"' }]],
    [
      'unknown type',
      [{ ...only, from: { application: 'proxy', processType: 'clock' } }],
      [],
      [{ field: 'rules[0].from', message: 'application "proxy" has no process type "clock"' }],
    ],
    ['reversed range', [{ ...only, ports: [{ from: 9000, to: 8000 }] }], [], [{ field: 'rules[0].ports[0]', message: 'port range 9000-8000 is reversed' }]],
    ['port 0', [{ ...only, ports: [{ from: 0, to: 10 }] }], [], [{ field: 'rules[0].ports[0]', message: 'port range 0-10 is outside 1–65535' }]],
    ['no ports on TCP', [{ ...only, ports: [] }], [], [{ field: 'rules[0].ports', message: 'a TCP rule needs at least one port range' }]],
    ['ports on ICMP', [{ ...only, protocol: 'ICMP' }], [], [{ field: 'rules[0].ports', message: 'an ICMP rule has no ports' }]],
    [
      'overlapping duplicate',
      [only, { ...only, ports: [{ from: 8000, to: 8080 }] }],
      [],
      [{ field: 'rules[1]', message: 'duplicates rules[0] (same ends and protocol, overlapping ports)' }],
    ],
    [
      'overlap inside a rule',
      [{ ...only, ports: [{ from: 1, to: 10 }, { from: 10 }] }],
      [],
      [{ field: 'rules[0].ports', message: 'port ranges of one rule overlap' }],
    ],
    [
      'too many rules',
      Array.from({ length: 257 }, (_, i) => ({ ...only, ports: [{ from: i + 1 }] })),
      [],
      [{ field: 'rules', message: 'at most 256 rules (got 257)' }],
    ],
    [
      'test that does not parse',
      [only],
      [test('proxy', 'backend:8080', 'ALLOW')],
      [{ field: 'tests[0]', message: 'to "backend:8080" is not <app>[/<type>]:<port>/<tcp|udp> or <app>[/<type>]:icmp' }],
    ],
    ['test naming an unknown app', [only], [test('ghost', 'backend:8080/tcp', 'ALLOW')], [{ field: 'tests[0]', message: 'from: unknown application "ghost"' }]],
  ];
  it.each(bad)('refuses %s', (_name, rules, tests, problems) => {
    expect(checkPolicy(apps, 'ENFORCE', rules, tests)).toEqual({ ok: false, problems });
  });

  it('accepts the same ends on another protocol or on disjoint ports', () => {
    expect(checkPolicy(apps, 'AUDIT', [only, { ...only, protocol: 'UDP' }, { ...only, ports: [{ from: 8081, to: 8090 }] }], []).ok).toBe(true);
  });
});

describe('runPolicyTests', () => {
  const policy = (tests: PolicyTest[]) => {
    const r = checkPolicy(apps, 'ENFORCE', [only], tests);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.value;
  };

  it('passes the ModSecurity expectations', () => {
    const tests = [
      test('proxy', 'backend:8080/tcp', 'ALLOW'),
      test('worker', 'backend:8080/tcp', 'DENY'),
      test('worker', 'backend:8080/udp', 'DENY'),
      test('proxy/web', 'backend/clock:9090/tcp', 'DENY'),
      test('worker', 'proxy:80/tcp', 'ALLOW'),
      test('proxy', 'backend:icmp', 'DENY'),
    ];
    expect(runPolicyTests(apps, policy(tests))).toEqual([]);
  });

  it('lists each failing test with the first concrete case that fails', () => {
    const tests = [test('worker', 'backend:8080/tcp', 'ALLOW'), test('proxy', 'backend:8080/tcp', 'ALLOW'), test('proxy', 'backend/web:8080/tcp', 'DENY')];
    expect(runPolicyTests(apps, policy(tests))).toEqual([
      { index: 0, from: 'worker', to: 'backend:8080/tcp', expect: 'ALLOW', got: 'DENY', reason: 'DEFAULT_DENY', case: 'worker/worker → backend/web:8080/TCP' },
      { index: 2, from: 'proxy', to: 'backend/web:8080/tcp', expect: 'DENY', got: 'ALLOW', reason: 'RULE', case: 'proxy/web → backend/web:8080/TCP' },
    ]);
  });
});
