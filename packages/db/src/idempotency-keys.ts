import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database, IdempotencyKeyRow } from './schema.js';
import type { DbExecutor } from './scope.js';

export interface IdempotencyKeyClaim {
  userId: string;
  key: string;
  requestHash: string;
  taskId: string;
  /** How long a key stays taken, measured on the database clock (which also stamped `created_at`). */
  ttlMs: number;
}

/**
 * Takes the user's key for `taskId`; true when the row was inserted, or replaced because it had expired.
 * False when the key is held: read it with `findIdempotencyKey`. A concurrent claim of the same key waits on the
 * primary key until the first transaction ends, so of N simultaneous requests exactly one wins. Run it in the
 * transaction that inserts the task (the reference to the task is checked at commit).
 */
export async function claimIdempotencyKey(trx: Transaction<Database>, claim: IdempotencyKeyClaim): Promise<boolean> {
  const ttl = `${claim.ttlMs} milliseconds`;
  const row = await trx
    .insertInto('idempotency_keys')
    .values({ user_id: claim.userId, key: claim.key, request_hash: claim.requestHash, task_id: claim.taskId })
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'key'])
        .doUpdateSet((eb) => ({
          request_hash: eb.ref('excluded.request_hash'),
          task_id: eb.ref('excluded.task_id'),
          created_at: sql<Date>`now()`,
        }))
        .where('idempotency_keys.created_at', '<', sql<Date>`now() - ${ttl}::interval`),
    )
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}

/** The user's key as stored, expired or not. */
export async function findIdempotencyKey(db: DbExecutor, userId: string, key: string): Promise<IdempotencyKeyRow | null> {
  const row = await db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', userId).where('key', '=', key).executeTakeFirst();
  return row ?? null;
}

/**
 * Deletes keys created before `olderThan`, `batchSize` rows per statement so no long lock or transaction builds up;
 * rows a create holds right now are skipped (the next pass gets them). Returns how many were deleted.
 */
export async function purgeExpiredIdempotencyKeys(db: Kysely<Database>, options: { olderThan: Date; batchSize: number }): Promise<number> {
  let purged = 0;
  for (;;) {
    const result = await db
      .deleteFrom('idempotency_keys')
      .where((eb) =>
        eb(
          eb.refTuple('user_id', 'key'),
          'in',
          eb
            .selectFrom('idempotency_keys')
            .select(['user_id', 'key'])
            .where('created_at', '<', options.olderThan)
            .orderBy('created_at')
            .limit(options.batchSize)
            .forUpdate()
            .skipLocked()
            .$asTuple('user_id', 'key'),
        ),
      )
      .executeTakeFirst();
    const deleted = Number(result.numDeletedRows);
    purged += deleted;
    if (deleted < options.batchSize) return purged;
  }
}
