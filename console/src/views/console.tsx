/** The signed-in page: the project picker, the five views as tabs (hash-routed), and sign-out. */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, gql } from '../api/client.ts';
import { PROJECTS } from '../api/queries.ts';
import { decodeClaims, roleIn } from '../model/access.ts';
import { parseRoute, routeHash, type View, VIEWS } from '../session.ts';
import { Alert } from './parts.tsx';
import { ConvergenceView } from './convergence.tsx';
import { ExposureView } from './exposure.tsx';
import { NamesView } from './names.tsx';
import { NetworkView } from './network.tsx';
import { useProject } from './use-project.ts';
import { WebhooksView } from './webhooks.tsx';

interface ProjectItem {
  id: string;
  name: string;
  network: { id: string; cidr: string };
}

const LABELS: Record<View, string> = { network: 'Network', names: 'Names', convergence: 'Convergence', exposure: 'Exposure', webhooks: 'Webhooks' };

/**
 * The route in the location's hash. Effects run after paint, so the hash can change between the first
 * render and the listener: the effect reads it again once listening, or that change would be lost.
 */
function useHashRoute() {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    on();
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function Console(props: { token: string; onSignOut(why: string | null): void }) {
  const claims = useMemo(() => decodeClaims(props.token), [props.token]);
  const [projects, setProjects] = useState<ProjectItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const route = useHashRoute();
  const { onSignOut } = props;
  const expiredSession = useCallback((why: string) => onSignOut(why), [onSignOut]);

  useEffect(() => {
    gql<{ projects: { edges: { node: ProjectItem }[] } }>(props.token, PROJECTS)
      .then((d) => setProjects(d.projects.edges.map((e) => e.node)))
      .catch((err) =>
        err instanceof ApiError && err.code === 'UNAUTHENTICATED'
          ? expiredSession(`Your token was refused (${err.message}). Sign in again.`)
          : setError(err.message),
      );
  }, [props.token, expiredSession]);

  const projectId = route.projectId ?? projects?.[0]?.id ?? null;
  const who = claims?.kind === 'admin' ? 'admin' : claims?.kind === 'user' ? `user ${claims.sub ?? ''}`.trim() : (claims?.kind ?? 'unknown');
  return (
    <div class="shell">
      <header class="top">
        <h1>Weft</h1>
        <label class="picker">
          <span>Project</span>
          <select
            value={projectId ?? ''}
            disabled={!projects?.length}
            onChange={(e) => (location.hash = routeHash((e.target as HTMLSelectElement).value, route.view))}
          >
            {projects?.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.network.cidr})
              </option>
            ))}
          </select>
        </label>
        <span class="who">{who}</span>
        <button type="button" class="link" onClick={() => onSignOut(null)}>
          Sign out
        </button>
      </header>
      <Alert message={error} />
      {!projects && !error && <p class="loading">Loading projects…</p>}
      {projects && projects.length === 0 && (
        <p class="empty">No project is visible with this token. Create one with the API (createProject), or ask for access.</p>
      )}
      {projectId && (
        <>
          <nav class="tabs" aria-label="Views">
            {VIEWS.map((v) => (
              <a key={v} href={routeHash(projectId, v)} aria-current={route.view === v ? 'page' : undefined}>
                {LABELS[v]}
              </a>
            ))}
          </nav>
          <ProjectPage
            key={projectId}
            token={props.token}
            projectId={projectId}
            view={route.view}
            role={roleIn(claims, projectId)}
            onExpired={expiredSession}
          />
        </>
      )}
    </div>
  );
}

function ProjectPage(props: { token: string; projectId: string; view: View; role: ReturnType<typeof roleIn>; onExpired(why: string): void }) {
  const admin = props.role === 'admin';
  const { state, error, live, refresh } = useProject(props.token, props.projectId, admin, props.onExpired);
  if (error && !state)
    return (
      <p class="error" role="alert">
        Cannot read this project: {error}
      </p>
    );
  if (!state) return <p class="loading">Loading the network…</p>;
  const common = { token: props.token, state, role: props.role, refresh, onExpired: props.onExpired };
  return (
    <main class="page">
      <p class="status">
        <strong>{state.project.name}</strong> · network {state.project.network.cidr} · VNI {state.project.network.vni} · revision {state.revision} ·{' '}
        <span class={`live ${live}`} data-live={live}>
          {live === 'live' ? 'live' : live === 'connecting' ? 'connecting…' : 'live updates interrupted, retrying'}
        </span>
        {error && <span class="error"> · last refresh failed: {error}</span>}
      </p>
      {props.view === 'network' && <NetworkView {...common} />}
      {props.view === 'names' && <NamesView {...common} />}
      {props.view === 'convergence' && <ConvergenceView {...common} />}
      {props.view === 'exposure' && <ExposureView {...common} />}
      {props.view === 'webhooks' && <WebhooksView {...common} />}
    </main>
  );
}

export interface ViewProps {
  token: string;
  state: import('./use-project.ts').ProjectState;
  role: ReturnType<typeof roleIn>;
  refresh(): Promise<number | null>;
  onExpired(why: string): void;
}
