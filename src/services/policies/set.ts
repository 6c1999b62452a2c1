/**
 * setNetworkPolicy: writes a network's whole policy — rules, tests and mode — as one change
 * (`network.policy_set`), after checking the input and running the policy's own tests against it
 * (docs/policies.md). Bad input is BAD_USER_INPUT with `problems`; a failing test is
 * POLICY_TEST_FAILED with `failures`; either way nothing is written. Writing the policy that is
 * already stored changes nothing and appends no change.
 */
import type { PolicyMode, PolicyTest } from '../../../protocol/policy/model.ts';
import { checkPolicy, type PolicyRuleInput, runPolicyTests } from '../../../protocol/policy/validate.ts';
import { getNetwork } from '../../db/lookups.ts';
import { networkPolicies } from '../../db/schema/index.ts';
import { badInput, DomainError } from '../../domain/errors.ts';
import { appendChanges } from '../../feed/append.ts';
import type { Changed, ServiceContext } from '../context.ts';
import { policyApplications, readPolicy } from '../../feed/policy.ts';

export interface SetNetworkPolicyInput {
  networkId: string;
  mode: PolicyMode;
  rules: PolicyRuleInput[];
  tests?: PolicyTest[] | null;
}

export async function setNetworkPolicy(ctx: ServiceContext, input: SetNetworkPolicyInput): Promise<Changed<{ networkId: string; version: number }>> {
  return ctx.db.write(async (tx) => {
    const network = await getNetwork(tx, input.networkId);
    const apps = await policyApplications(tx, network.id);
    const checked = checkPolicy(apps, input.mode, input.rules, input.tests ?? []);
    if (!checked.ok) throw badInput(`policy refused: ${checked.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { problems: checked.problems });
    const failures = runPolicyTests(apps, checked.value);
    if (failures.length)
      throw new DomainError(
        'POLICY_TEST_FAILED',
        `policy refused: ${failures.length} test(s) fail: ${failures.map((f) => `tests[${f.index}] ${f.case} is ${f.got}, expected ${f.expect}`).join('; ')}`,
        {
          failures,
        },
      );
    const current = await readPolicy(tx, network.id);
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (current.version > 0 && current.mode === input.mode && same(current.rules, checked.value.rules) && same(current.tests, checked.value.tests))
      return { result: { networkId: network.id, version: current.version }, changes: [] };
    const policy = { ...checked.value, version: current.version + 1 };
    const now = ctx.now();
    const row = { mode: policy.mode, rules: JSON.stringify(policy.rules), tests: JSON.stringify(policy.tests), version: policy.version, updatedAt: now };
    await tx
      .insert(networkPolicies)
      .values({ networkId: network.id, ...row })
      .onConflictDoUpdate({ target: networkPolicies.networkId, set: row });
    const changes = await appendChanges(tx, [{ kind: 'network.policy_set', projectId: network.projectId, networkId: network.id, payload: { policy } }], now);
    return { result: { networkId: network.id, version: policy.version }, changes };
  });
}
