/**
 * Row lookups by id, shared by the services, the feed and the schema; each throws NOT_FOUND with the
 * entity's name. Below src/services and src/feed so that neither has to import the other for them.
 */
import { eq } from 'drizzle-orm';
import type { Reader } from './client.ts';
import { applications, containers, databaseGeneration, hosts, networks, projects } from './schema/index.ts';
import { notFound } from '../domain/errors.ts';

export async function getProject(db: Reader, id: string) {
  const [row] = await db.select().from(projects).where(eq(projects.id, id));
  if (!row) throw notFound('project', id);
  return row;
}

export async function getNetwork(db: Reader, id: string) {
  const [row] = await db.select().from(networks).where(eq(networks.id, id));
  if (!row) throw notFound('network', id);
  return row;
}

export async function getNetworkOfProject(db: Reader, projectId: string) {
  const [row] = await db.select().from(networks).where(eq(networks.projectId, projectId));
  if (!row) throw notFound('project', projectId);
  return row;
}

export async function getApplication(db: Reader, id: string) {
  const [row] = await db.select().from(applications).where(eq(applications.id, id));
  if (!row) throw notFound('application', id);
  return row;
}

export async function getHost(db: Reader, id: string) {
  const [row] = await db.select().from(hosts).where(eq(hosts.id, id));
  if (!row) throw notFound('host', id);
  return row;
}

export async function getContainer(db: Reader, id: string) {
  const [row] = await db.select().from(containers).where(eq(containers.id, id));
  if (!row) throw notFound('container', id);
  return row;
}

/** The database's generation id (docs/architecture.md §8.3); created by the migrations, so always there. */
export async function getGeneration(db: Reader): Promise<string> {
  const [row] = await db.select({ id: databaseGeneration.id }).from(databaseGeneration).limit(1);
  if (!row) throw new Error('database_generation is empty: the database was not migrated by this version');
  return row.id;
}
