/** Every private name with what it resolves to now (one batched `resolve` query), copyable; and the environment of a selected container. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, gql } from '../api/client.ts';
import { ENVIRONMENT } from '../api/queries.ts';
import type { ResolveResult } from '../api/types.ts';
import { nameRows, privateNames, resolveQuery } from '../model/names.ts';
import type { ViewProps } from './console.tsx';
import { Alert, Head } from './parts.tsx';

function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="copy"
      aria-label={`Copy ${props.label}`}
      onClick={() => navigator.clipboard?.writeText(props.text).then(() => (setDone(true), setTimeout(() => setDone(false), 1200)))}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

export function NamesView({ token, state, onExpired }: ViewProps) {
  const apps = useMemo(() => state.project.applications.edges.map((e) => e.node), [state.project]);
  const names = useMemo(() => privateNames(apps), [apps]);
  const [answers, setAnswers] = useState<Record<string, ResolveResult> | null>(null);
  const [error, setError] = useState<string | null>(null);
  // What names answer follows container states: resolve again whenever the containers change.
  useEffect(() => {
    if (!names.length) return;
    const { query, variables } = resolveQuery(
      state.project.network.id,
      names.map((n) => n.name),
    );
    gql<Record<string, ResolveResult>>(token, query, variables)
      .then((d) => (setAnswers(d), setError(null)))
      .catch((err) =>
        err instanceof ApiError && err.code === 'UNAUTHENTICATED'
          ? onExpired(`Your token was refused (${err.message}). Sign in again.`)
          : setError(err.message),
      );
  }, [names, state.containers, token]);
  const rows = nameRows(names, answers);

  const [selected, setSelected] = useState('');
  const [env, setEnv] = useState<{ hostname: string; environment: { name: string; value: string }[] } | null>(null);
  useEffect(() => {
    setEnv(null);
    if (!selected) return;
    gql<{ container: NonNullable<typeof env> }>(token, ENVIRONMENT, { id: selected })
      .then((d) => setEnv(d.container))
      .catch((err) => setError(err.message));
  }, [selected, token]);
  const appName = Object.fromEntries(apps.map((a) => [a.id, a.name]));

  return (
    <section aria-labelledby="names-title">
      <h2 id="names-title">Names</h2>
      <Alert message={error} />
      {!names.length && <p class="empty">No application yet, so no names.</p>}
      {names.length > 0 && (
        <table class="names">
          <Head cols={['name', 'app', 'resolves to (A)', 'sr:copy']} />
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <td>
                  <code>{r.name}</code>
                </td>
                <td>{r.app}</td>
                <td class={r.rcode === 'NOERROR' ? '' : 'muted'}>{r.answer}</td>
                <td>
                  <CopyButton text={r.name} label={r.name} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Environment of a container</h3>
      <label class="picker">
        <span>Container</span>
        <select value={selected} onChange={(e) => setSelected((e.target as HTMLSelectElement).value)} disabled={!state.containers.length}>
          <option value="">{state.containers.length ? 'choose a container' : 'no containers'}</option>
          {state.containers.map((c) => (
            <option key={c.id} value={c.id}>
              {appName[c.applicationId] ?? c.applicationId} {c.processType}.{c.number} ({c.ip})
            </option>
          ))}
        </select>
      </label>
      {env && (
        <dl class="env">
          {env.environment.map((v) => (
            <div key={v.name}>
              <dt>
                <code>{v.name}</code>
              </dt>
              <dd>
                <code>{v.value}</code> <CopyButton text={v.value} label={v.name} />
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
