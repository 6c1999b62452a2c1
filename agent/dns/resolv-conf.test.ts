import { describe, expect, it } from 'vitest';
import { parseResolvConf } from './resolv-conf.ts';

describe('parseResolvConf', () => {
  it('reads nameserver lines only, in order', () => {
    const text = '# generated\nsearch example.org\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:2\n nameserver 127.0.0.53';
    expect(parseResolvConf(text)).toEqual([
      { address: '10.0.0.2', port: 53 },
      { address: 'fe80::1', port: 53 },
      { address: '127.0.0.53', port: 53 },
    ]);
  });
});
