/**
 * Builds the scale benchmark's database in-process through the service layer (the same verbs the
 * API calls, one write transaction each): `hosts` hosts, 200 projects with one network and one
 * application each, and the first `containers` containers of the layout in bench/scale.ts. The
 * file is then copied for each step, so every step starts from the same state.
 */
import { hosts as hostsTable } from '../src/db/schema/index.ts';
import { signToken } from '../src/auth/jwt.ts';
import { loadSigningKeys } from '../src/auth/keys.ts';
import { createApplication } from '../src/services/applications/create.ts';
import { createContainer } from '../src/services/containers/create.ts';
import { registerHost } from '../src/services/hosts/register.ts';
import { createProject } from '../src/services/projects/create.ts';
import { fakeKey, openServices } from '../test/support/api.ts';

export const NETWORKS = 200;
export const HOSTS_PER_NETWORK = 10;

/** The host index (0-based) of the k-th container of the layout. */
export function hostOf(k: number, hostCount: number): number {
  const j = k % NETWORKS;
  return (j * HOSTS_PER_NETWORK + (Math.floor(k / NETWORKS) % HOSTS_PER_NETWORK)) % hostCount;
}

export interface Seeded {
  hostIds: string[];
  publicKeys: string[];
  appIds: string[];
  /** Agent token of each host, signed with `secret`. */
  tokens: string[];
}

/** Seeds `dbFile`; `secret` is the API's AUTH_HS256_SECRET. */
export async function seedScale(dbFile: string, secret: string, hostCount: number, containers: number): Promise<Seeded> {
  const { ctx, opened } = await openServices({ DATABASE_URL: `file:${dbFile}`, AUTH_HS256_SECRET: secret });
  const { config } = ctx;
  try {
    const seeded: Seeded = { hostIds: [], publicKeys: [], appIds: [], tokens: [] };
    for (let i = 0; i < hostCount; i++) {
      const key = fakeKey(i + 1);
      seeded.hostIds.push((await registerHost(ctx, { name: `sim-${i}`, endpoint: `192.0.2.1:${20000 + i}`, publicKey: key })).result.hostId);
      seeded.publicKeys.push(key);
    }
    for (let j = 0; j < NETWORKS; j++) {
      const { result: p } = await createProject(ctx, { name: `p${j}` });
      seeded.appIds.push((await createApplication(ctx, { projectId: p.projectId, name: 'app' })).result.applicationId);
    }
    for (let k = 0; k < containers; k++) {
      await createContainer(ctx, { applicationId: seeded.appIds[k % NETWORKS], processType: 'web', hostId: seeded.hostIds[hostOf(k, hostCount)] });
    }
    const keys = await loadSigningKeys(config.auth);
    const versions = new Map((await ctx.db.read.select({ id: hostsTable.id, v: hostsTable.tokenVersion }).from(hostsTable)).map((r) => [r.id, r.v]));
    for (const id of seeded.hostIds)
      seeded.tokens.push(await signToken(keys, config.auth, { kind: 'agent', sub: `agent:${id}`, host: id, ver: versions.get(id)! }, 3600));
    await opened.writeClient.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    return seeded;
  } finally {
    opened.close();
  }
}
