import { describe, expect, it } from 'vitest';
import { numericOrder } from './order.ts';

describe('numericOrder', () => {
  it('orders addresses by their numbers, as localeCompare with the numeric option does', () => {
    const ips = ['10.0.0.10', '10.0.0.9', '10.0.1.2', '10.0.0.100', 'fd00::a', 'fd00::10', '10.0.0.1'];
    expect([...ips].sort(numericOrder)).toEqual(['10.0.0.1', '10.0.0.9', '10.0.0.10', '10.0.0.100', '10.0.1.2', 'fd00::10', 'fd00::a']);
    expect([...ips].sort(numericOrder)).toEqual([...ips].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
  });
});
