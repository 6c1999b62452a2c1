import { describe, expect, it } from 'vitest';
import { renderedNftScripts } from '../../test/support/nft-scripts';
import { nftOneLine } from './nft-line';

describe('nftOneLine', () => {
  const s = renderedNftScripts('xsnft-1');

  it('joins what the agent renders into one line: ` ; ` between statements, a space after a block opener', () => {
    expect(nftOneLine(s.del)).toBe('table inet xs_gw ; delete table inet xs_gw');
    expect(nftOneLine(s.sets)).toBe(
      'flush set bridge xs_policy r0_src ; add element bridge xs_policy r0_src { 10.240.0.2, 10.240.0.9 } ; flush set bridge xs_policy iso',
    );
    const replace = nftOneLine(s.replace);
    expect(replace).not.toContain('\n');
    expect(replace).toMatch(
      /^table bridge xs_guard ; delete table bridge xs_guard ; table bridge xs_guard \{ chain weft_meta \{ counter comment "weft:sha=[0-9a-f]{16}" ; \} ; set cmac \{ type ifname \. ether_addr ; elements = \{ "xspnc-1" \. 02:00:0a:f0:00:03, "xspnc-2" \. 02:00:0a:f0:00:05 \} ; \} ; /,
    );
    expect(replace).toContain(
      'table inet xs_gw ; delete table inet xs_gw ; table inet xs_gw { chain weft_meta { counter comment "weft:sha=e58b234e616769c9" ; } ; chain input { type filter hook input priority 0; policy drop; ; iif "lo" accept ; udp dport 53 accept ; tcp dport 53 accept ; icmp type { echo-request, destination-unreachable } accept ; counter comment "dropped-to-gateway" ; } ; chain forward { type filter hook forward priority 0; policy drop; ; } ; } ; table bridge xs_policy ; ',
    );
    expect(replace).toContain(
      'set udp_flows { type ipv4_addr . inet_service . ipv4_addr . inet_service ; size 65535 ; flags dynamic,timeout ; timeout 30s ; } ; chain forward { type filter hook forward priority 0; policy accept; ; ether type != ip accept ; ip saddr @iso meta l4proto udp update @udp_flows { ip daddr . udp dport . ip saddr . udp sport } ; ',
    );
    expect(replace).toMatch(/udp dport \{ 53, 9000-9100 \} counter accept comment "rule-1" ; .* counter drop comment "default-deny" ; \} ; \}$/);
  });

  it.each([
    ['an element list over several lines', 'add element bridge t s {\n  10.0.0.1,\n  10.0.0.2\n}\n'],
    ['a line ending in a comma', 'table bridge t {\n  set s {\n    type ipv4_addr\n    elements = { 10.0.0.1,\n 10.0.0.2 }\n  }\n}\n'],
    ['a comment', 'table inet t {\n  # not ours\n}\n'],
    ['an include', 'include "x.nft"\n'],
    ['a quote left open', 'add rule inet t c counter comment "a\nb"\n'],
    ['nothing', '\n'],
  ])('refuses %s (it runs as a process of its own)', (_what, script) => {
    expect(nftOneLine(script)).toBeNull();
  });

  it('keeps `;`, `#` and braces inside strings as text', () => {
    expect(nftOneLine('table inet t {\n  chain c {\n    counter comment "a;b#{"\n  }\n}\n')).toBe('table inet t { chain c { counter comment "a;b#{" ; } ; }');
  });
});
