import type { Kysely, Transaction, WhereInterface } from 'kysely';
import type { Database } from './schema.js';

/** What a query runs on: the pool, or a transaction some caller opened. */
export type DbExecutor = Kysely<Database> | Transaction<Database>;

/** Whose rows a query may see: a user sees their own; an admin sees everyone's, or one user's when `userId` is set. */
export type Scope = { kind: 'user'; userId: string } | { kind: 'admin'; userId?: string };

/** A select, update or delete over a table whose rows belong to a user (a query on `users` does not type-check). */
type UserOwnedQuery = WhereInterface<Database, 'tasks'> | WhereInterface<Database, 'task_logs'>;

/**
 * The query narrowed to the rows the scope may see: `user_id = …` for a user (or an admin looking at one user),
 * unchanged for an admin looking at everyone. Every user-owned query goes through here, so none can forget it.
 */
export function withScope<Query extends UserOwnedQuery>(query: Query, scope: Scope): Query {
  if (scope.userId === undefined) return query;
  // `where` returns the builder's own type; TypeScript cannot follow that through the union, hence the casts.
  return (query as WhereInterface<Database, 'tasks'>).where('user_id', '=', scope.userId) as Query;
}
