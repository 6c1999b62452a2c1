import { describe, expect, it } from 'vitest';
import { parseUpstream } from './agent.ts';

describe('parseUpstream (WEFT_DNS_UPSTREAMS)', () => {
  it.each([
    ['192.0.2.53', { address: '192.0.2.53', port: 53 }],
    ['127.0.0.1:5353', { address: '127.0.0.1', port: 5353 }],
    ['2001:db8::53', { address: '2001:db8::53', port: 53 }],
    ['[2001:db8::53]:5353', { address: '2001:db8::53', port: 5353 }],
    ['[::1]', { address: '::1', port: 53 }],
  ])('%s', (text, expected) => expect(parseUpstream(text)).toEqual(expected));
});
