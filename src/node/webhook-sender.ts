/**
 * Node-only webhook sender: node:http(s) with a DNS lookup that refuses private and loopback
 * addresses at connection time. The URL check at registration cannot see where a name resolves
 * *now*; checking the addresses the socket is about to connect to closes the DNS-rebinding gap
 * (the name is resolved once, checked, and that same answer is used to connect). Node never calls
 * `lookup` for an IP-literal host, so the sender checks a literal itself before connecting. With
 * WEBHOOK_ALLOW_PRIVATE_TARGETS=true the stock lookup is used and neither check runs.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { WebhookSettings } from '../config.ts';
import { baseHeaders, type Sender } from '../webhooks/send.ts';
import { checkWebhookUrl, isPublicAddress } from '../webhooks/url-guard.ts';

/** The error of both connection-time checks: the address a delivery would connect to is not public. */
function privateTarget(reason: string): Error {
  return Object.assign(new Error(`${reason} (set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow it)`), { code: 'EWEBHOOKPRIVATE' });
}

type Resolve = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** A `lookup` for net/http that fails when any address of the name is not public. */
export function guardedLookup(resolve: Resolve = dnsLookup as unknown as Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (refused || !addresses.length)
        return callback(privateTarget(`${hostname} resolves to ${refused?.address ?? 'no address'}, which is not a public address`), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** The Node sender; `resolve` is injectable for tests. */
export function createNodeSender(settings: Pick<WebhookSettings, 'allowPrivateTargets'>, resolve?: Resolve): Sender {
  const lookup = settings.allowPrivateTargets ? undefined : guardedLookup(resolve);
  return async ({ url, headers, body, timeoutMs, signal }) => {
    const target = new URL(url);
    // An IP literal is connected to as is, without `lookup`: check it here, at the connection seam.
    const literal = target.hostname.replace(/^\[(.*)\]$/, '$1');
    if (lookup && isIP(literal) && !isPublicAddress(literal)) throw privateTarget(`${literal} is a private, loopback or reserved IPv${isIP(literal)} address`);
    // Re-check the URL itself: the setting may have been stricter than when it was registered.
    checkWebhookUrl(url, settings);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeout = AbortSignal.timeout(timeoutMs);
    return new Promise<{ status: number }>((resolvePromise, reject) => {
      const req = request(
        target,
        {
          method: 'POST',
          headers: { ...baseHeaders, ...headers, 'content-length': String(Buffer.byteLength(body)) },
          lookup,
          signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
        },
        (res) => {
          res.on('error', () => {}); // the status is all we need; a body cut short later is not a failure
          res.resume();
          resolvePromise({ status: res.statusCode ?? 0 });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}
