/**
 * The GraphQL context: the actor of the request (resolved once, in app.ts) and the service context.
 */
import type { Actor } from '../auth/actor.ts';
import type { SigningKeys } from '../auth/keys.ts';
import type { FeedHub } from '../feed/hub.ts';
import type { ServiceContext } from '../services/context.ts';

export interface GraphQLContext {
  actor: Actor;
  services: ServiceContext;
  keys: SigningKeys;
  hub: FeedHub;
}
