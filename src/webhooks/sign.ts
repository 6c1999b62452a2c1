/**
 * Standard Webhooks signing (https://www.standardwebhooks.com) with the `standardwebhooks` library:
 * `webhook-id`, `webhook-timestamp` (seconds, the time of this attempt) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256>`, space-separated when two secrets are live during a rotation).
 * The library is pure JavaScript (fast-sha256, @stablelib/base64): it runs on Node and Workers alike.
 */
import { Webhook } from 'standardwebhooks';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (the spec allows 24 to 64). */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/** The secrets that sign a message at `now`: the current one, plus the previous one while its overlap lasts. */
export function signingSecrets(endpoint: { secret: string; previousSecret: string | null; previousSecretExpiresAt: number | null }, now: number): string[] {
  const live = [endpoint.secret];
  if (endpoint.previousSecret && (endpoint.previousSecretExpiresAt ?? 0) > now) live.push(endpoint.previousSecret);
  return live;
}

/** The three Standard Webhooks headers for one attempt. */
export function signedHeaders(messageId: string, body: string, secrets: string[], now: number): Record<string, string> {
  const at = new Date(now);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(now / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(messageId, at, body)).join(' '),
  };
}

/** The message id of a change for an endpoint: the same on every retry and redelivery, so receivers can dedupe. */
export const messageId = (endpointId: string, revision: number): string => `${endpointId}:${revision}`;
