/** Webhook endpoints with their recent deliveries and outcomes (read on opening and every 5 s), and redeliver (write role). */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, gql } from '../api/client.ts';
import { REDELIVER } from '../api/queries.ts';
import { endpointRows } from '../model/webhooks.ts';
import type { ViewProps } from './console.tsx';
import { Head } from './parts.tsx';

export function WebhooksView({ token, state, role, refresh, onExpired }: ViewProps) {
  // Deliveries are not project changes: read them on opening, then every 5 s while open.
  useEffect(() => {
    refresh();
    const t = setInterval(refresh, 5000);
    return () => clearInterval(t);
  }, [refresh]);
  const endpoints = endpointRows(state.project.webhookEndpoints, role);
  const [message, setMessage] = useState<string | null>(null);
  const redeliver = async (id: string) => {
    try {
      const d = await gql<{ redeliver: { delivery: { id: string; status: string } } }>(token, REDELIVER, { id });
      setMessage(`Redelivery ${d.redeliver.delivery.id} is ${d.redeliver.delivery.status}.`);
      await refresh();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') return onExpired(`Your token was refused (${err.message}). Sign in again.`);
      setMessage(`Redeliver failed: ${(err as Error).message}`);
    }
  };
  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      {message && <p role="status">{message}</p>}
      {!endpoints.length && <p class="empty">No webhook endpoint: register one with createWebhookEndpoint (README "Webhooks").</p>}
      {endpoints.map((e) => (
        <article key={e.id} class="endpoint">
          <h3>
            <code>{e.url}</code>
          </h3>
          <p>
            {e.state} · events: {e.events}
          </p>
          {!e.deliveries.length && <p class="empty">No delivery yet.</p>}
          {e.deliveries.length > 0 && (
            <table>
              <Head cols={['event', 'revision', 'status', 'outcome', 'sr:action']} />
              <tbody>
                {e.deliveries.map((d) => (
                  <tr key={d.id}>
                    <td>{d.event}</td>
                    <td>{d.revision}</td>
                    <td>
                      <span class={`chip ${d.status.toLowerCase()}`}>{d.status}</span>
                    </td>
                    <td>{d.outcome}</td>
                    <td>
                      <button type="button" disabled={!d.canRedeliver} onClick={() => redeliver(d.id)}>
                        Redeliver
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </article>
      ))}
    </section>
  );
}
