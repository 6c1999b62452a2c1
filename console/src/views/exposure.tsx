/** Process types with their PUBLIC/PRIVATE state and the switch (write role; disabled for read). */
import { useState } from 'preact/hooks';
import { ApiError, gql } from '../api/client.ts';
import { SET_EXPOSURE } from '../api/queries.ts';
import { exposureRows } from '../model/exposure.ts';
import type { ViewProps } from './console.tsx';
import { Alert, Head } from './parts.tsx';

export function ExposureView({ token, state, role, refresh, onExpired }: ViewProps) {
  const rows = exposureRows(
    state.project.applications.edges.map((e) => e.node),
    role,
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const flip = async (r: (typeof rows)[number]) => {
    setBusy(`${r.applicationId}/${r.processType}`);
    setError(null);
    try {
      await gql(token, SET_EXPOSURE, { app: r.applicationId, type: r.processType, exposure: r.next });
      await refresh();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') return onExpired(`Your token was refused (${err.message}). Sign in again.`);
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : (err as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section aria-labelledby="exposure-title">
      <h2 id="exposure-title">Exposure</h2>
      <p>PUBLIC process types are reachable through the public router; PRIVATE ones only inside the network.</p>
      {rows.length > 0 && !rows[0].canSwitch && <p class="notice">Your role in this project is read: the switches are disabled.</p>}
      <Alert message={error} />
      {!rows.length && <p class="empty">No application yet.</p>}
      {rows.length > 0 && (
        <table>
          <Head cols={['app', 'process type', 'exposure', 'switch']} />
          <tbody>
            {rows.map((r) => {
              const key = `${r.applicationId}/${r.processType}`;
              return (
                <tr key={key} data-process={`${r.app}/${r.processType}`}>
                  <td>{r.app}</td>
                  <td>{r.processType}</td>
                  <td>
                    <span class={`chip ${r.exposure.toLowerCase()}`}>{r.exposure}</span>
                  </td>
                  <td>
                    <button
                      type="button"
                      role="switch"
                      aria-checked={r.exposure === 'PUBLIC'}
                      aria-label={`${r.app} ${r.processType} public`}
                      disabled={!r.canSwitch || busy === key}
                      onClick={() => flip(r)}
                    >
                      Make {r.next}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
