import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLinkStats, parseNftCounters } from './kernel-counters.ts';

const fixture = (name: string): string => JSON.parse(readFileSync(new URL(`../../test/fixtures/${name}.json`, import.meta.url), 'utf8')).output;

describe('kernel counter parsers against captured output', () => {
  it('reads the counters of commented rules, skipping the weft:sha hash rule and other tables', () => {
    expect(parseNftCounters(fixture('nft-ruleset-sandbox'), ['wfxpn_guard'])).toEqual([
      { family: 'bridge', table: 'wfxpn_guard', chain: 'pre', rule: 'mac-spoof', packets: 0, bytes: 0 },
    ]);
    expect(parseNftCounters(fixture('nft-ruleset-sandbox'), ['someone_else'])).toEqual([]);
  });

  it('takes the counter wherever it sits in the rule', () => {
    const json = JSON.stringify({
      nftables: [
        { rule: { family: 'inet', table: 't', chain: 'input', comment: 'dropped-to-gateway', expr: [{ counter: { packets: 7, bytes: 420 } }] } },
        {
          rule: {
            family: 'bridge',
            table: 't',
            chain: 'from_ctr',
            comment: 'ip-spoof',
            expr: [{ match: { op: '!=' } }, { counter: { packets: 3, bytes: 126 } }, { drop: null }],
          },
        },
        { rule: { family: 'inet', table: 't', chain: 'input', comment: 'no counter here', expr: [{ accept: null }] } },
        { rule: { family: 'inet', table: 't', chain: 'input', expr: [{ counter: { packets: 1, bytes: 1 } }] } },
      ],
    });
    expect(parseNftCounters(json).map((r) => [r.rule, r.packets, r.bytes])).toEqual([
      ['dropped-to-gateway', 7, 420],
      ['ip-spoof', 3, 126],
    ]);
  });

  it('reads link statistics by interface name', () => {
    const stats = parseLinkStats(fixture('ip-link-stats-sandbox'));
    expect([...stats.keys()]).toEqual(['lo', 'wfxpnc-0000aaaa']);
    expect(stats.get('wfxpnc-0000aaaa')).toEqual({
      rxBytes: expect.any(Number),
      rxPackets: expect.any(Number),
      txBytes: expect.any(Number),
      txPackets: expect.any(Number),
    });
  });

  it('refuses output of another shape instead of reading zeros', () => {
    expect(() => parseLinkStats('[{"ifname": "x", "stats64": {"rx": {"bytes": "many"}}}]')).toThrow();
    expect(() => parseNftCounters('{"rules": []}')).toThrow();
  });
});
