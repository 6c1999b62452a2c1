import { eq } from 'drizzle-orm';
import { hosts } from '../../db/schema/index.ts';
import { appendChanges } from '../../feed/append.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getHost } from '../../db/lookups.ts';

/**
 * Bumps a host's token version: every agent token minted before stops working at its next request.
 * Returns the new version so the caller can mint a replacement (rotation) or not (revocation).
 */
export async function bumpHostTokenVersion(
  ctx: ServiceContext,
  hostId: string,
  reason: 'rotated' | 'revoked',
): Promise<Changed<{ hostId: string; tokenVersion: number }>> {
  return ctx.db.write(async (tx) => {
    const host = await getHost(tx, hostId);
    const tokenVersion = host.tokenVersion + 1;
    await tx.update(hosts).set({ tokenVersion }).where(eq(hosts.id, hostId));
    const changes = await appendChanges(tx, [{ kind: `host.token_${reason}`, hostId, payload: { hostId } }], ctx.now());
    return { result: { hostId, tokenVersion }, changes };
  });
}
