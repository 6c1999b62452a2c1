/**
 * The whole GraphQL schema: importing each domain file registers its types on the builder.
 */
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import './project.ts';
import './network.ts';
import './application.ts';
import './dns.ts';
import './host.ts';
import './container.ts';
import './feed.ts';
import './webhook.ts';
import './policy.ts';

/** The schema, with types and fields sorted so that schema.graphql diffs stay readable. */
export const schema = lexicographicSortSchema(builder.toSchema());
