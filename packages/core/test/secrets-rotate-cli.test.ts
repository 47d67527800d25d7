import { randomBytes } from 'node:crypto';
import { createTask, openTaskSecrets } from '@punctual/core';
import { insertUser, keyIdOf } from '@punctual/db';
import { runSecretsRotate, useTaskEnvironment } from '@punctual/testing';
import { describe, expect, it } from 'vitest';

// Each test seals its task under a key of its own (`{ ...t.tasks, secretsKey }`).
const t = useTaskEnvironment({ email: 'rotate@example.com' });

const base64 = (key: Buffer) => key.toString('base64');

describe('pnpm secrets:rotate', () => {
  it('re-seals under the new SECRETS_KEY what the previous key sealed, prints counts, and finds nothing left on a second run', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const task = await createTask({ ...t.tasks, secretsKey: oldKey }, t.actor, {
      name: 'sealed',
      url: 'https://api.example.com/',
      token: 'tok',
    });
    const rotateEnv = { ...t.env.processEnv, SECRETS_KEY: base64(newKey), SECRETS_KEY_PREVIOUS: base64(oldKey) };

    const first = await runSecretsRotate(rotateEnv);

    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/^task token: 1 re-sealed$/m);
    expect(first.output).toMatch(/^task headers: 0 re-sealed$/m);
    expect(first.output).toMatch(/SECRETS_KEY_PREVIOUS may be removed/);
    const row = await t.env.db.selectFrom('tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
    expect(row.token!.startsWith(`v2.${keyIdOf(newKey)}.`)).toBe(true);
    expect(openTaskSecrets({ current: newKey }, row).token).toBe('tok');

    // Without the previous key nothing is left to open: a second run changes nothing and succeeds.
    const second = await runSecretsRotate({ ...t.env.processEnv, SECRETS_KEY: base64(newKey) });
    expect(second.code, second.output).toBe(0);
    expect(second.output).toMatch(/^task token: 0 re-sealed$/m);
  });

  it('exits 1 naming what it could not open, and leaves it as it is', async () => {
    const user = await insertUser(t.env.db, { email: 'lost@example.com', passwordHash: 'x' });
    const lostKey = randomBytes(32);
    await createTask(
      { ...t.tasks, secretsKey: lostKey },
      { userId: user!.id, role: 'user' },
      { name: 'lost', url: 'https://api.example.com/', headers: { 'X-Api-Key': 'k' } },
    );

    const run = await runSecretsRotate({ ...t.env.processEnv, SECRETS_KEY: base64(randomBytes(32)) });

    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/^task headers: 0 re-sealed, 1 open with neither key \(left as they are\)$/m);
  });
});
