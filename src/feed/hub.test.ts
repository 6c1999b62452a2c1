import { describe, expect, it } from 'vitest';
import type { AddressColumn } from '../../protocol/changes.ts';
import type { ChangeRecord } from './append.ts';
import { createFeedHub, mayConcern, type WaitScope } from './hub.ts';

type Address = Partial<Record<AddressColumn, string>>;
// Routing looks at the address columns only, so the rows here are just addresses.
const change = (over: Address): Address => over;
const row: ChangeRecord = {
  revision: 1,
  createdAt: 0,
  kind: 'application.deleted',
  projectId: 'p1',
  networkId: 'n1',
  payload: { applicationId: 'ap-1', name: 'a' },
};

describe('mayConcern', () => {
  const host: WaitScope = { hostId: 'h1', networks: ['n1'] };
  it.each<[string, WaitScope | undefined, Address, boolean]>([
    ['own host-addressed row', host, { hostId: 'h1', networkId: 'n9' }, true],
    ['another host’s row', host, { hostId: 'h2', networkId: 'n1' }, false],
    ['a row of one of its networks', host, { networkId: 'n1' }, true],
    ['a row of another network', host, { networkId: 'n2' }, false],
    ['a project-only row', host, { projectId: 'p1' }, false],
    ['membership unknown: every network row', { hostId: 'h1' }, { networkId: 'n2' }, true],
    ['project stream, its project', { projectId: 'p1' }, { projectId: 'p1', networkId: 'n1' }, true],
    ['project stream, another project', { projectId: 'p1' }, { projectId: 'p2' }, false],
    ['no scope: always', undefined, { projectId: 'p2' }, true],
  ])('%s → %s', (_name, scope, row, expected) => expect(mayConcern(scope, [change(row)])).toBe(expected));
});

describe('in-memory hub', () => {
  it('wakes a waiter only for changes that may concern it, and everyone for unknown changes', async () => {
    const hub = createFeedHub(60_000);
    const woke: string[] = [];
    const a = hub.wait(undefined, { hostId: 'h1', networks: ['n1'] }).then(() => woke.push('h1'));
    const b = hub.wait(undefined, { hostId: 'h2', networks: ['n2'] }).then(() => woke.push('h2'));
    hub.notify([row]);
    await a;
    expect(woke).toEqual(['h1']);
    hub.notify(undefined);
    await b;
    expect(woke).toEqual(['h1', 'h2']);
  });
  it('ends waits when closed', async () => {
    const hub = createFeedHub(60_000);
    const waiting = hub.wait(hub.stopping);
    hub.close();
    await expect(waiting).resolves.toBeUndefined();
  });
});
