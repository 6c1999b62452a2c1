import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** A tenant boundary. Exactly one private network belongs to each project. */
export const projects = sqliteTable('projects', {
  id: text('id').primaryKey(), // prj-<uuid>
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
});
