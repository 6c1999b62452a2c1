/**
 * Loads one project (head revision first, then the state, then every page of containers) and keeps it
 * current from `projectChanges`: container deltas apply at once, anything else reads the project again
 * (debounced). An UNAUTHENTICATED answer anywhere signs the user out with the reason.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, gql } from '../api/client.ts';
import { followProject } from '../api/live.ts';
import { containersQuery, HEAD, projectQuery } from '../api/queries.ts';
import type { ContainerResult, Edges, HostResult, ProjectResult } from '../api/types.ts';
import { applyFeedEvent, type ContainerRow, containerRows, replayAfter } from '../model/containers.ts';
import type { FeedEventResult } from '../api/types.ts';
import { addSample, type LatencySample } from '../model/convergence.ts';

export interface ProjectState {
  project: ProjectResult;
  hosts: HostResult[] | null;
  containers: ContainerRow[];
  samples: LatencySample[];
  revision: number;
}

export type LiveState = 'connecting' | 'live' | 'interrupted';

async function loadProject(token: string, id: string, admin: boolean) {
  const { projectChanges } = await gql<{ projectChanges: { head: number } }>(token, HEAD, { id });
  const data = await gql<{ project: ProjectResult; hosts?: Edges<HostResult> }>(token, projectQuery(admin), { id });
  const containers: ContainerResult[] = [];
  let after: string | null = null;
  do {
    const page: { network: { containers: Edges<ContainerResult> } } = await gql(token, containersQuery(admin), { net: data.project.network.id, after });
    containers.push(...page.network.containers.edges.map((e) => e.node));
    after = page.network.containers.pageInfo?.hasNextPage ? page.network.containers.pageInfo.endCursor : null;
  } while (after);
  return {
    head: projectChanges.head,
    project: data.project,
    hosts: data.hosts ? data.hosts.edges.map((e) => e.node) : null,
    containers: containerRows(containers),
  };
}

export function useProject(token: string, projectId: string, admin: boolean, onUnauthenticated: (why: string) => void) {
  const [state, setState] = useState<ProjectState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  const [generation, setGeneration] = useState(0); // bumped to read everything again and follow anew (RESYNC)
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // Events received past the last read's head: a read that was under way when they arrived replays them.
  const recent = useRef<FeedEventResult[]>([]);
  const fail = useCallback(
    (err: unknown) => {
      if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') return onUnauthenticated(`Your token was refused (${err.message}). Sign in again.`);
      setError((err as Error).message);
    },
    [onUnauthenticated],
  );

  const refresh = useCallback(async () => {
    try {
      const next = await loadProject(token, projectId, admin);
      const c = next.project.network.convergence;
      recent.current = recent.current.filter((e) => e.revision > next.head);
      const containers = replayAfter(next.containers, recent.current, next.head);
      setState((prev) => ({
        project: next.project,
        hosts: next.hosts,
        containers,
        samples: addSample(prev?.samples ?? [], { at: Date.now(), p50: c.p50Ms, p99: c.p99Ms }),
        revision: Math.max(prev?.revision ?? 0, next.head),
      }));
      setError(null);
      return next.head;
    } catch (err) {
      fail(err);
      return null;
    }
  }, [token, projectId, admin, fail]);

  const scheduleRefresh = useCallback(() => {
    clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(refresh, 250);
  }, [refresh]);

  useEffect(() => {
    let stop = () => {};
    let cancelled = false;
    setState(null);
    setLive('connecting');
    recent.current = [];
    refresh().then((head) => {
      if (cancelled || head === null) return;
      stop = followProject(token, projectId, head, {
        onEvent: (event) => {
          setLive('live');
          if (event.type === 'RESYNC') return setGeneration((g) => g + 1);
          if (event.type === 'CHANGE') recent.current = [...recent.current, event].slice(-2000);
          setState((prev) => {
            if (!prev) return prev;
            const applied = applyFeedEvent(prev.containers, event);
            if (applied.reload) scheduleRefresh();
            return { ...prev, containers: applied.rows, revision: Math.max(prev.revision, event.revision) };
          });
        },
        onError: (message, code) => {
          if (code === 'UNAUTHENTICATED') return onUnauthenticated(`Your token expired or was revoked (${message}). Sign in again.`);
          setLive('interrupted');
        },
      });
      setLive('live');
    });
    return () => {
      cancelled = true;
      clearTimeout(reloadTimer.current);
      stop();
    };
  }, [token, projectId, admin, generation]);

  return { state, error, live, refresh };
}
