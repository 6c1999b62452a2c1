/** Per host: applied revision against the head and pending changes (hosts behind highlighted); p50/p99 commit→applied over the session, read every 5 s. */
import { useEffect } from 'preact/hooks';
import { convergenceRows, latencyChart } from '../model/convergence.ts';
import type { ViewProps } from './console.tsx';
import { Head } from './parts.tsx';

export function ConvergenceView({ state, refresh }: ViewProps) {
  // Agent reports are not project changes, so this view reads the network again on a timer.
  useEffect(() => {
    const t = setInterval(refresh, 5000);
    return () => clearInterval(t);
  }, [refresh]);
  const c = state.project.network.convergence;
  const rows = convergenceRows(c);
  const chart = latencyChart(state.samples, 280, 60);
  return (
    <section aria-labelledby="convergence-title">
      <h2 id="convergence-title">Convergence</h2>
      <p>
        Head revision {c.headRevision}: {c.converged ? 'every member host has applied it.' : 'some hosts are behind.'} Commit→applied over the last hour (
        {c.samples} samples): p50 {c.p50Ms ?? '–'} ms, p99 {c.p99Ms ?? '–'} ms.
      </p>
      <figure class="chart">
        <svg width="280" height="60" viewBox="0 0 280 60" role="img" aria-label={`p50 and p99 commit-to-applied, up to ${chart.maxMs} ms`}>
          <polyline points={chart.p99} class="p99" fill="none" />
          <polyline points={chart.p50} class="p50" fill="none" />
        </svg>
        <figcaption>
          <span class="p99">p99</span> and <span class="p50">p50</span> as read every 5 s while this page is open (scale 0–{chart.maxMs} ms)
        </figcaption>
      </figure>
      {!rows.length && <p class="empty">No host is a member of this network yet (a host joins with its first container).</p>}
      {rows.length > 0 && (
        <table>
          <Head cols={['host', 'applied', 'head', 'pending', 'health']} />
          <tbody>
            {rows.map((r) => (
              <tr key={r.hostId} class={r.behind ? 'behind' : undefined}>
                <td>
                  {r.host}
                  {r.behind && <span class="badge">behind</span>}
                </td>
                <td>{r.applied}</td>
                <td>{r.head}</td>
                <td>{r.pending}</td>
                <td>{r.health}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
