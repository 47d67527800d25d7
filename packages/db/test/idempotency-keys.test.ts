import { randomUUID } from 'node:crypto';
import { claimIdempotencyKey, findIdempotencyKey, insertTask, insertUser, purgeExpiredIdempotencyKeys } from '@punctual/db';
import { createTestEnvironment, type TestEnvironment } from '@punctual/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let env: TestEnvironment;
let userId: string;

beforeAll(async () => {
  env = await createTestEnvironment();
  userId = (await insertUser(env.db, { email: `keys-${randomUUID()}@example.com`, passwordHash: 'x' }))!.id;
});
afterAll(async () => env?.cleanup());

const DAY = 24 * 3_600_000;

/** A task and a key bound to it, `ageHours` old. */
async function keyAged(key: string, ageHours: number): Promise<string> {
  const taskId = randomUUID();
  await env.db.transaction().execute(async (trx) => {
    expect(await claimIdempotencyKey(trx, { userId, key, requestHash: 'h', taskId, ttlMs: DAY })).toBe(true);
    await insertTask(trx, {
      id: taskId,
      user_id: userId,
      name: key,
      description: null,
      url: 'https://api.example.com/hook',
      method: 'GET',
      headers: '{}',
      secret_headers: null,
      body: null,
      token: null,
      scheduled_at: new Date(),
      next_run_at: new Date(),
      run_id: randomUUID(),
      max_retries: 0,
      backoff: JSON.stringify({ type: 'fixed', delayMs: 0, maxDelayMs: 0, jitter: false }),
      timeout_ms: 1_000,
      notify: JSON.stringify({ onFailure: false, onRetry: false }),
    });
  });
  await sql`UPDATE idempotency_keys SET created_at = now() - make_interval(hours => ${ageHours}) WHERE key = ${key}`.execute(env.db);
  return taskId;
}

async function keysLeft(): Promise<string[]> {
  const rows = await env.db.selectFrom('idempotency_keys').select('key').orderBy('key').execute();
  return rows.map((row) => row.key);
}

describe('idempotency keys', () => {
  it('purges keys older than the cut-off in batches and returns how many went', async () => {
    for (let n = 0; n < 7; n++) await keyAged(`old-${n}`, 25 + n);
    await keyAged('young', 1);

    const purged = await purgeExpiredIdempotencyKeys(env.db, { olderThan: new Date(Date.now() - DAY), batchSize: 3 });

    expect(purged).toBe(7);
    expect(await keysLeft()).toEqual(['young']);
    expect(await purgeExpiredIdempotencyKeys(env.db, { olderThan: new Date(Date.now() - DAY), batchSize: 3 })).toBe(0);
  });

  it('refuses a claim of a held key and takes over an expired one', async () => {
    const heldTask = await keyAged('held', 2);
    const expiredTask = await keyAged('lapsed', 30);

    const outcome = await env.db.transaction().execute(async (trx) => ({
      held: await claimIdempotencyKey(trx, { userId, key: 'held', requestHash: 'other', taskId: expiredTask, ttlMs: DAY }),
      lapsed: await claimIdempotencyKey(trx, { userId, key: 'lapsed', requestHash: 'new', taskId: heldTask, ttlMs: DAY }),
    }));

    expect(outcome).toEqual({ held: false, lapsed: true });
    expect(await findIdempotencyKey(env.db, userId, 'held')).toMatchObject({ request_hash: 'h', task_id: heldTask });
    const lapsed = await findIdempotencyKey(env.db, userId, 'lapsed');
    expect(lapsed).toMatchObject({ request_hash: 'new', task_id: heldTask });
    expect(Date.now() - lapsed!.created_at.getTime()).toBeLessThan(60_000);
  });

  it('goes with its task', async () => {
    const taskId = await keyAged('doomed', 0);

    await env.db.deleteFrom('tasks').where('id', '=', taskId).execute();

    expect(await findIdempotencyKey(env.db, userId, 'doomed')).toBeNull();
  });
});
