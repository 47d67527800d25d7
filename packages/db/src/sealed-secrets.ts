import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** Every column that holds a sealed value: what a key rotation walks. */
export type SealedSecretColumn = 'task token' | 'task headers' | 'signing secret' | 'previous signing secret';

const COLUMNS: Record<SealedSecretColumn, { table: 'tasks' | 'signing_secrets'; id: string; column: string }> = {
  'task token': { table: 'tasks', id: 'id', column: 'token' },
  'task headers': { table: 'tasks', id: 'id', column: 'secret_headers' },
  'signing secret': { table: 'signing_secrets', id: 'user_id', column: 'secret' },
  'previous signing secret': { table: 'signing_secrets', id: 'user_id', column: 'previous_secret' },
};

export interface SealedSecretRow {
  /** The task id, or the user id for signing secrets: the value's subject. */
  id: string;
  sealed: string;
  /** The task's URL (task secrets are bound to its origin); null for signing secrets. */
  url: string | null;
}

/**
 * The next batch of a column's sealed values, in id order after `afterId`, skipping those already sealed under the key
 * `currentKeyId` (so a second pass finds nothing). Keyset paging over the primary key: one pass over the table in all.
 */
export async function findSealedSecrets(
  db: Kysely<Database>,
  column: SealedSecretColumn,
  options: { currentKeyId: string; afterId: string | null; limit: number },
): Promise<SealedSecretRow[]> {
  const target = COLUMNS[column];
  const url = target.table === 'tasks' ? sql`url` : sql`NULL::text`;
  const { rows } = await sql<SealedSecretRow>`
    SELECT ${sql.ref(target.id)}::text AS id, ${sql.ref(target.column)} AS sealed, ${url} AS url
    FROM ${sql.table(target.table)}
    WHERE ${sql.ref(target.column)} IS NOT NULL
      AND ${sql.ref(target.column)} NOT LIKE ${`v2.${options.currentKeyId}.%`}
      AND (${options.afterId}::uuid IS NULL OR ${sql.ref(target.id)} > ${options.afterId}::uuid)
    ORDER BY ${sql.ref(target.id)}
    LIMIT ${options.limit}`.execute(db);
  return rows;
}

/**
 * Replaces one sealed value if it still is `from` (a value changed meanwhile was sealed anew by whoever changed it).
 * Returns whether it was replaced.
 */
export async function replaceSealedSecret(
  db: Kysely<Database>,
  column: SealedSecretColumn,
  change: { id: string; from: string; to: string },
): Promise<boolean> {
  const target = COLUMNS[column];
  const result = await sql`
    UPDATE ${sql.table(target.table)} SET ${sql.ref(target.column)} = ${change.to}
    WHERE ${sql.ref(target.id)} = ${change.id}::uuid AND ${sql.ref(target.column)} = ${change.from}`.execute(db);
  return (result.numAffectedRows ?? 0n) > 0n;
}
