/**
 * Builds the scale benchmark's database in-process through the service layer (the same verbs the
 * API calls, one write transaction each): `hosts` hosts, 200 projects with one network and one
 * application each, and the first `containers` containers of the layout in bench/scale.ts. The
 * file is then copied for each step, so every step starts from the same state. The service modules
 * are loaded from `root` (this checkout, or a baseline export from bench/baseline.ts), so a
 * baseline API starts from a database its own code wrote.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './baseline.ts';

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

const load = (root: string, path: string) => import(pathToFileURL(join(root, path)).href);

/** Seeds `dbFile` with the services of `root`; `secret` is the API's AUTH_HS256_SECRET. */
export async function seedScale(dbFile: string, secret: string, hostCount: number, containers: number, root = REPO_ROOT): Promise<Seeded> {
  const [{ hosts: hostsTable }, { signToken }, { loadSigningKeys }, { createApplication }, { createContainer }, { registerHost }, { createProject }, support] =
    await Promise.all([
      load(root, 'src/db/schema/index.ts'),
      load(root, 'src/auth/jwt.ts'),
      load(root, 'src/auth/keys.ts'),
      load(root, 'src/services/applications/create.ts'),
      load(root, 'src/services/containers/create.ts'),
      load(root, 'src/services/hosts/register.ts'),
      load(root, 'src/services/projects/create.ts'),
      load(root, 'test/support/api.ts'),
    ]);
  const { ctx, opened } = await support.openServices({ DATABASE_URL: `file:${dbFile}`, AUTH_HS256_SECRET: secret });
  const { config } = ctx;
  try {
    const seeded: Seeded = { hostIds: [], publicKeys: [], appIds: [], tokens: [] };
    for (let i = 0; i < hostCount; i++) {
      const key = support.fakeKey(i + 1);
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
    const rows: { id: string; v: number }[] = await ctx.db.read.select({ id: hostsTable.id, v: hostsTable.tokenVersion }).from(hostsTable);
    const versions = new Map(rows.map((r) => [r.id, r.v]));
    for (const id of seeded.hostIds)
      seeded.tokens.push(await signToken(keys, config.auth, { kind: 'agent', sub: `agent:${id}`, host: id, ver: versions.get(id)! }, 3 * 3600));
    await opened.writeClient.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    return seeded;
  } finally {
    opened.close();
  }
}
