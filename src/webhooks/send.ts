/**
 * The one side-effect seam of delivery: POST a signed body and report the status code. The default
 * uses `fetch` (Node and Workers), never follows redirects (a redirect to an internal address would
 * get round the URL check) and gives up after `timeoutMs` (AbortSignal.timeout). On Node the
 * server swaps in src/node/webhook-sender.ts, which also checks the address it connects to.
 */
export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Aborts the request early (shutdown). */
  signal?: AbortSignal;
}

export type Sender = (request: SendRequest) => Promise<{ status: number }>;

export const USER_AGENT = 'Weft-Webhooks/1';

/** Headers of every delivery besides the three signature headers. */
export const baseHeaders = { 'content-type': 'application/json', 'user-agent': USER_AGENT } as const;

/** Sends with the runtime's fetch. */
export const fetchSender: Sender = async ({ url, headers, body, timeoutMs, signal }) => {
  const timeout = AbortSignal.timeout(timeoutMs);
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...baseHeaders, ...headers },
    body,
    redirect: 'manual',
    signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
  });
  await response.body?.cancel().catch(() => {});
  return { status: response.status };
};

/** A short, log-safe description of a failed send. */
export function describeSendError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(error)}${cause ? ` (${cause})` : ''}`.slice(0, 500);
}
