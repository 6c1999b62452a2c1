import { describe, expect, it } from 'vitest';
import { parseAgentReport } from './agent-report.ts';

describe('parseAgentReport', () => {
  it.each([
    [{ hostId: 'host-1' }, { report: { hostId: 'host-1' } }],
    [{ hostId: 7, appliedRevision: null }, { report: { hostId: '7', appliedRevision: null } }],
    [
      { hostId: 'h', appliedRevision: 42, applyMs: 3, networks: [{ networkId: 5, healthy: true }], safety: { brake: null, fence: null } },
      { report: { hostId: 'h', appliedRevision: 42, applyMs: 3, networks: [{ networkId: '5', healthy: true }], safety: { brake: null, fence: null } } },
    ],
    [
      { hostId: 'h', policyCounters: [{ networkId: 'pn-1', version: 2, counters: [{ counter: 'rule-0', packets: 1.5e12, bytes: 9 }] }] },
      { report: { hostId: 'h', policyCounters: [{ networkId: 'pn-1', version: 2, counters: [{ counter: 'rule-0', packets: 1.5e12, bytes: 9 }] }] } },
    ],
    [
      {
        hostId: 'h',
        appliedRevision: 9,
        passes: [
          { revision: 8, agoMs: 40 },
          { revision: 9, agoMs: 2 },
        ],
      },
      {
        report: {
          hostId: 'h',
          appliedRevision: 9,
          passes: [
            { revision: 8, agoMs: 40 },
            { revision: 9, agoMs: 2 },
          ],
        },
      },
    ],
    [{ hostId: 'h', passes: [{ revision: 8, agoMs: 0.5 }] }, { refused: { message: 'passes.0.agoMs must be a 32-bit integer', field: 'passes.0.agoMs' } }],
    [null, { refused: { message: 'the report must be an object', field: '' } }],
    [{ hostId: 1.5 }, { refused: { message: 'hostId must be an ID', field: 'hostId' } }],
    [{ hostId: 'h', applyMs: 1.5 }, { refused: { message: 'applyMs must be a 32-bit integer', field: 'applyMs' } }],
    [{ hostId: 'h', networks: {} }, { refused: { message: 'networks must be a list', field: 'networks' } }],
    [
      { hostId: 'h', networks: [{ networkId: 'n', healthy: 'yes' }] },
      { refused: { message: 'networks.0.healthy must be a boolean', field: 'networks.0.healthy' } },
    ],
    [
      { hostId: 'h', safety: { fence: { reason: 'R' } } },
      { refused: { message: 'safety.fence.trustedGeneration is required', field: 'safety.fence.trustedGeneration' } },
    ],
    [{ hostId: 'h', safety: { brake: null, extra: 1 } }, { refused: { message: 'unknown field safety.extra', field: 'safety.extra' } }],
    [
      { hostId: 'h', policyCounters: [{ networkId: 'n', version: 1, counters: [{ counter: 'x', packets: Number.NaN, bytes: 0 }] }] },
      { refused: { message: 'policyCounters.0.counters.0.packets must be a float', field: 'policyCounters.0.counters.0.packets' } },
    ],
  ])('%j', (body, expected) => {
    expect(parseAgentReport(body)).toEqual(expected);
  });
});
