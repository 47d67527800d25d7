import { randomBytes } from 'node:crypto';
import { createTask, openTaskSecrets, type TaskContext } from '@punctual/core';
import { insertUser, keyIdOf } from '@punctual/db';
import { createRedisConnection, createTaskQueue, type Redis, type TaskQueue } from '@punctual/queue';
import { createTestEnvironment, runSecretsRotate, type TestEnvironment } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let env: TestEnvironment;
let redis: Redis;
let queue: TaskQueue;

beforeAll(async () => {
  env = await createTestEnvironment();
  redis = createRedisConnection(env.redisUrl);
  queue = createTaskQueue({ connection: redis, prefix: env.queuePrefix });
});

afterAll(async () => {
  await queue.close();
  redis.disconnect();
  await env.cleanup();
});

const base64 = (key: Buffer) => key.toString('base64');

describe('pnpm secrets:rotate', () => {
  it('re-seals under the new SECRETS_KEY what the previous key sealed, prints counts, and finds nothing left on a second run', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const user = await insertUser(env.db, { email: 'rotate@example.com', passwordHash: 'x' });
    const tasks: TaskContext = {
      db: env.db,
      queue,
      secretsKey: oldKey,
      allowPrivateTargets: false,
      defaults: { timeoutMs: 1_000, maxRetries: 0, retryDelayMs: 1_000, retryMaxDelayMs: 1_000 },
      limits: { maxTasksPerUser: 100_000, minCronIntervalSeconds: 1 },
      logger: { warn: () => {} },
    };
    const task = await createTask(
      tasks,
      { userId: user!.id, role: 'user' },
      { name: 'sealed', url: 'https://api.example.com/', token: 'tok' },
    );
    const rotateEnv = { ...env.processEnv, SECRETS_KEY: base64(newKey), SECRETS_KEY_PREVIOUS: base64(oldKey) };

    const first = await runSecretsRotate(rotateEnv);

    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/^task token: 1 re-sealed$/m);
    expect(first.output).toMatch(/^task headers: 0 re-sealed$/m);
    expect(first.output).toMatch(/SECRETS_KEY_PREVIOUS may be removed/);
    const row = await env.db.selectFrom('tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
    expect(row.token!.startsWith(`v2.${keyIdOf(newKey)}.`)).toBe(true);
    expect(openTaskSecrets({ current: newKey }, row).token).toBe('tok');

    // Without the previous key nothing is left to open: a second run changes nothing and succeeds.
    const second = await runSecretsRotate({ ...env.processEnv, SECRETS_KEY: base64(newKey) });
    expect(second.code, second.output).toBe(0);
    expect(second.output).toMatch(/^task token: 0 re-sealed$/m);
  });

  it('exits 1 naming what it could not open, and leaves it as it is', async () => {
    const user = await insertUser(env.db, { email: 'lost@example.com', passwordHash: 'x' });
    const lostKey = randomBytes(32);
    await createTask(
      {
        db: env.db,
        queue,
        secretsKey: lostKey,
        allowPrivateTargets: false,
        defaults: { timeoutMs: 1_000, maxRetries: 0, retryDelayMs: 1_000, retryMaxDelayMs: 1_000 },
        limits: { maxTasksPerUser: 100_000, minCronIntervalSeconds: 1 },
        logger: { warn: () => {} },
      },
      { userId: user!.id, role: 'user' },
      { name: 'lost', url: 'https://api.example.com/', headers: { 'X-Api-Key': 'k' } },
    );

    const run = await runSecretsRotate({ ...env.processEnv, SECRETS_KEY: base64(randomBytes(32)) });

    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/^task headers: 0 re-sealed, 1 open with neither key \(left as they are\)$/m);
  });
});
