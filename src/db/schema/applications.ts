import { integer, primaryKey, sqliteTable, text, unique } from 'drizzle-orm/sqlite-core';
import { networks } from './networks.ts';
import { projects } from './projects.ts';

/** An application of a project; its name is unique within the project. */
export const applications = sqliteTable(
  'applications',
  {
    id: text('id').primaryKey(), // ap-<uuid>
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    defaultProcessType: text('default_process_type').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [unique('applications_project_name').on(t.projectId, t.name)],
);

/** A process (container) type of an application, and whether the public router may reach it. */
export const processTypes = sqliteTable(
  'process_types',
  {
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    exposure: text('exposure', { enum: ['PUBLIC', 'PRIVATE'] }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.applicationId, t.name] })],
);
