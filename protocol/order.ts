/**
 * The order of addresses and names in host models, on both sides of the contract: numeric-aware
 * ("10.0.0.9" before "10.0.0.10"), the order of `a.localeCompare(b, 'en', { numeric: true })`.
 * One collator, made once: `localeCompare` with options builds a collator per call, which made
 * sorting a 100-container network cost about a millisecond on every container delta (issue 17).
 */
export const numericOrder: (a: string, b: string) => number = new Intl.Collator('en', { numeric: true }).compare;
