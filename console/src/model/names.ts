/**
 * The names view's model: every private name of the network (each application's
 * privateDomainNames), one batched `resolve` query for all of them (aliases r0, r1, …), and rows of
 * what each name answers now.
 */
import type { ApplicationResult, ResolveResult } from '../api/types.ts';

export interface NameRow {
  name: string;
  app: string;
  /** What the name answers: addresses, NXDOMAIN, or "no records" (NODATA). */
  answer: string;
  rcode: ResolveResult['rcode'] | null;
}

/** Every name of every application, apps in name order, each app's names as the API lists them. */
export function privateNames(apps: ApplicationResult[]): { name: string; app: string }[] {
  return [...apps].sort((a, b) => a.name.localeCompare(b.name)).flatMap((a) => a.privateDomainNames.map((name) => ({ name, app: a.name })));
}

/** One query resolving every name; `resolve` is read per alias. */
export function resolveQuery(networkId: string, names: string[]): { query: string; variables: Record<string, string> } {
  const variables: Record<string, string> = { net: networkId };
  const args = names.map((_, i) => `$n${i}: String!`).join(', ');
  const fields = names.map((_, i) => `r${i}: resolve(networkId: $net, name: $n${i}) { rcode records { name type ttl data } }`).join('\n  ');
  names.forEach((name, i) => (variables[`n${i}`] = name));
  return { query: `query Resolve($net: ID!${args ? `, ${args}` : ''}) {\n  ${fields}\n}`, variables };
}

export function answerText(r: ResolveResult | undefined): string {
  if (!r) return '…';
  if (r.rcode !== 'NOERROR') return r.rcode;
  if (r.records.length === 0) return 'no records';
  return r.records.map((rec) => rec.data).join(', ');
}

export function nameRows(names: { name: string; app: string }[], data: Record<string, ResolveResult> | null): NameRow[] {
  return names.map((n, i) => {
    const r = data?.[`r${i}`];
    return { name: n.name, app: n.app, answer: answerText(r), rcode: r?.rcode ?? null };
  });
}
