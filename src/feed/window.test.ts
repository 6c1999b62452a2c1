import { describe, expect, it } from 'vitest';
import type { FeedRow } from './read.ts';
import { audienceOf, MembershipIndex, readersOf } from './route.ts';
import { FeedWindow } from './window.ts';

const row = (revision: number, kind: string, address: Partial<Pick<FeedRow, 'projectId' | 'networkId' | 'hostId'>>): FeedRow => ({
  revision,
  kind,
  projectId: null,
  networkId: null,
  hostId: null,
  ...address,
  payload: {},
  createdAt: 0,
});

// h1 joins n1, a container is created, h2 gets a peer and joins, a container runs, h1 leaves, one is removed.
const ROWS = [
  row(11, 'network.joined', { projectId: 'p1', networkId: 'n1', hostId: 'h1' }),
  row(12, 'container.created', { projectId: 'p1', networkId: 'n1' }),
  row(13, 'peer.upserted', { hostId: 'h2' }),
  row(14, 'network.joined', { projectId: 'p1', networkId: 'n1', hostId: 'h2' }),
  row(15, 'container.running', { projectId: 'p1', networkId: 'n1' }),
  row(16, 'network.left', { projectId: 'p1', networkId: 'n1', hostId: 'h1' }),
  row(17, 'container.removed', { projectId: 'p1', networkId: 'n1' }),
  row(18, 'project.created', { projectId: 'p2' }),
];

const revisions = (page: ReturnType<FeedWindow['page']>) => (page && !page.resync ? page.rows.map((r) => r.revision) : page);

describe('audienceOf', () => {
  it.each<[string, Parameters<typeof audienceOf>[0], ReturnType<typeof audienceOf>]>([
    ['a network row', { kind: 'container.created', projectId: 'p1', networkId: 'n1' }, { projectId: 'p1', hostId: null, membersOf: 'n1' }],
    [
      'a host-addressed network row',
      { kind: 'network.joined', projectId: 'p1', networkId: 'n1', hostId: 'h1' },
      { projectId: 'p1', hostId: 'h1', membersOf: null },
    ],
    ['a host row', { kind: 'peer.upserted', hostId: 'h2' }, { projectId: null, hostId: 'h2', membersOf: null }],
    ['a project row', { kind: 'project.created', projectId: 'p2' }, { projectId: 'p2', hostId: null, membersOf: null }],
  ])('%s', (_name, address, expected) => expect(audienceOf(address)).toEqual(expected));
});

describe('MembershipIndex and readersOf', () => {
  it('follows network.joined and network.left, and names each reader once', () => {
    const index = new MembershipIndex([{ hostId: 'h9', networkId: 'n1' }]);
    expect(readersOf(ROWS[1], index)).toEqual(['project:p1', 'host:h9']);
    index.apply(ROWS[0]);
    expect(readersOf(ROWS[1], index)).toEqual(['project:p1', 'host:h9', 'host:h1']);
    index.apply(ROWS[5]);
    expect(readersOf(ROWS[1], index)).toEqual(['project:p1', 'host:h9']);
    expect([...index.networks('h1')]).toEqual([]);
    expect([...index.networks('h9')]).toEqual(['n1']);
  });
});

describe('FeedWindow', () => {
  const filled = (capacity = 100) => {
    const w = new FeedWindow(new MembershipIndex(), 10, 0, capacity);
    w.append(ROWS, 20);
    return w;
  };

  it('pages each reader its rows, with membership as of each row', () => {
    const w = filled();
    expect(revisions(w.page({ hostId: 'h1' }, 10, 500))).toEqual([11, 12, 15, 16]);
    expect(revisions(w.page({ hostId: 'h2' }, 10, 500))).toEqual([13, 14, 15, 17]);
    expect(revisions(w.page({ projectId: 'p1' }, 10, 500))).toEqual([11, 12, 14, 15, 16, 17]);
    expect(revisions(w.page({ projectId: 'p2' }, 12, 500))).toEqual([18]);
    expect(revisions(w.page({ hostId: 'h3' }, 10, 500))).toEqual([]);
  });

  it('ends a page at the head when nothing more concerns the reader, and pages by `limit`', () => {
    const w = filled();
    expect(w.page({ hostId: 'h2' }, 15, 500)).toEqual({ resync: false, head: 20, rows: [ROWS[6]], cursor: 20, hasMore: false });
    expect(w.page({ hostId: 'h1' }, 10, 2)).toEqual({ resync: false, head: 20, rows: [ROWS[0], ROWS[1]], cursor: 12, hasMore: true });
  });

  it('leaves to the table what it cannot answer: before the window, behind the retention mark, past the head', () => {
    const w = filled();
    expect(w.page({ hostId: 'h1' }, 9, 500)).toBeNull();
    expect(w.page({ hostId: 'h1' }, 21, 500)).toBeNull();
    w.compactedTo(12);
    expect(w.page({ hostId: 'h1' }, 11, 500)).toBeNull();
    expect(revisions(w.page({ hostId: 'h1' }, 12, 500))).toEqual([15, 16]);
  });

  it('keeps at most `capacity` rows, and moves its start past what it dropped', () => {
    const w = filled(3);
    expect(w.size).toBe(3);
    expect(w.start).toBe(15);
    expect(w.page({ hostId: 'h2' }, 14, 500)).toBeNull();
    expect(revisions(w.page({ hostId: 'h2' }, 15, 500))).toEqual([17]);
    expect(revisions(w.page({ projectId: 'p1' }, 15, 500))).toEqual([16, 17]);
  });

  it('returns the readers a batch touched, and tells a reader whether it has rows after a revision', () => {
    const w = new FeedWindow(new MembershipIndex([{ hostId: 'h1', networkId: 'n1' }]), 10, 0, 100);
    expect([...w.append([row(11, 'container.created', { projectId: 'p1', networkId: 'n1' })], 11)]).toEqual(['project:p1', 'host:h1']);
    expect(w.hasAfter({ hostId: 'h1' }, 10)).toBe(true);
    expect(w.hasAfter({ hostId: 'h1' }, 11)).toBe(false);
    expect(w.hasAfter({ hostId: 'h2' }, 0)).toBe(false);
    // rows at or below the head are already held
    expect([...w.append([row(11, 'container.created', { projectId: 'p1', networkId: 'n1' })], 11)]).toEqual([]);
    expect(w.size).toBe(1);
  });
});
