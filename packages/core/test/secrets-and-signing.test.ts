import { createCipheriv, randomBytes } from 'node:crypto';
import {
  createTask,
  getSigningSecret,
  openTaskSecrets,
  resealSecrets,
  rotateSigningSecret,
  runAttempt,
  type Actor,
  type AttemptContext,
} from '@punctual/core';
import { insertUser, keyIdOf } from '@punctual/db';
import { startTargetServer, type TargetHit, type TargetServer, useTaskEnvironment } from '@punctual/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAttemptContext } from './attempt-context.js';

const secretsKey = randomBytes(32);
const t = useTaskEnvironment({ email: 'signing-0@example.com', allowPrivateTargets: true, maxRetries: 0, secretsKey });
const attempts = useAttemptContext(t);
/** Two targets on loopback, on different ports: two origins. */
let target: TargetServer;
let otherTarget: TargetServer;

beforeAll(async () => {
  [target, otherTarget] = await Promise.all([startTargetServer(), startTargetServer()]);
});

afterAll(async () => {
  await Promise.all([target.close(), otherTarget.close()]);
});

let users = 0;
async function newActor(): Promise<Actor> {
  users += 1;
  const user = await insertUser(t.env.db, { email: `signing-${users}@example.com`, passwordHash: 'x' });
  return { userId: user!.id, role: 'user' };
}

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function runOnce(id: string, context: AttemptContext = attempts) {
  const row = await taskRow(id);
  return runAttempt(context, { taskId: id, runId: row.run_id, version: row.version });
}

function hitOf(server: TargetServer, testCase: string): TargetHit | undefined {
  return server.hits.find((hit) => hit.query.includes(`case=${testCase}`));
}

/** The hit's headers as the standardwebhooks package takes them. */
function webhookHeadersOf(hit: TargetHit): Record<string, string> {
  return {
    'webhook-id': String(hit.headers['webhook-id']),
    'webhook-timestamp': String(hit.headers['webhook-timestamp']),
    'webhook-signature': String(hit.headers['webhook-signature']),
  };
}

/** The independent oracle: whether the standardwebhooks package accepts the call as signed by `secret`. */
function verifies(secret: string, body: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

describe('signed calls (verified with the standardwebhooks package)', () => {
  it.each([
    ['a JSON body', 'json', { method: 'POST' as const, body: { amount: 42, note: 'grüße' } }],
    ['a text body', 'text', { method: 'PUT' as const, body: 'plain text, sent as is' }],
    ['no body', 'none', { method: 'GET' as const }],
  ])('signs a call with %s by the owner’s secret, webhook-id = run id', async (_name, testCase, request) => {
    const { secret } = await getSigningSecret({ db: t.env.db, keys: { current: secretsKey } }, t.actor.userId);
    const task = await createTask(t.tasks, t.actor, { name: testCase, url: `${target.url}/ok?case=sign-${testCase}`, ...request });
    const before = Math.floor(Date.now() / 1000);

    await runOnce(task.id);

    const hit = hitOf(target, `sign-${testCase}`)!;
    const headers = webhookHeadersOf(hit);
    expect(verifies(secret, hit.body, headers)).toBe(true);
    expect(headers['webhook-id']).toBe((await taskRow(task.id)).run_id);
    expect(Number(headers['webhook-timestamp'])).toBeGreaterThanOrEqual(before);
    expect(Number(headers['webhook-timestamp'])).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    // The oracle can fail: another secret or another body does not verify.
    expect(verifies(`whsec_${randomBytes(32).toString('base64')}`, hit.body, headers)).toBe(false);
    expect(verifies(secret, `${hit.body} `, headers)).toBe(false);
  });

  it('signs by the new and the previous secret for 24 h after a rotation, each verifying on its own', async () => {
    const owner = await newActor();
    const secrets = { db: t.env.db, keys: { current: secretsKey } };
    const { secret: before } = await getSigningSecret(secrets, owner.userId);
    const { secret: after } = await rotateSigningSecret(secrets, owner.userId);
    expect(after).not.toBe(before);
    expect(await getSigningSecret(secrets, owner.userId)).toEqual({ secret: after });
    const task = await createTask(t.tasks, owner, { name: 'rotated', url: `${target.url}/ok?case=rotated`, method: 'POST', body: [1] });

    await runOnce(task.id);

    const hit = hitOf(target, 'rotated')!;
    const headers = webhookHeadersOf(hit);
    const signatures = headers['webhook-signature']!.split(' ');
    expect(signatures).toHaveLength(2);
    const alone = (signature: string) => ({ ...headers, 'webhook-signature': signature });
    expect(verifies(after, hit.body, alone(signatures[0]!))).toBe(true);
    expect(verifies(before, hit.body, alone(signatures[1]!))).toBe(true);
    expect(verifies(before, hit.body, alone(signatures[0]!))).toBe(false);
    const expiresIn = await t.env.db
      .selectFrom('signing_secrets')
      .select('previous_expires_at')
      .where('user_id', '=', owner.userId)
      .executeTakeFirstOrThrow();
    const hours = (expiresIn.previous_expires_at!.getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
  });

  it('signs by the new secret alone once the previous one has expired', async () => {
    const owner = await newActor();
    const secrets = { db: t.env.db, keys: { current: secretsKey } };
    await getSigningSecret(secrets, owner.userId);
    const { secret } = await rotateSigningSecret(secrets, owner.userId);
    await t.env.db
      .updateTable('signing_secrets')
      .set({ previous_expires_at: new Date(Date.now() - 1_000) })
      .where('user_id', '=', owner.userId)
      .execute();
    const task = await createTask(t.tasks, owner, { name: 'expired', url: `${target.url}/ok?case=expired-previous` });

    await runOnce(task.id);

    const headers = webhookHeadersOf(hitOf(target, 'expired-previous')!);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(verifies(secret, '', headers)).toBe(true);
  });

  it('creates the signing secret of an account older than signing on its first call, the one the API then shows', async () => {
    const owner = await newActor();
    const task = await createTask(t.tasks, owner, { name: 'lazy', url: `${target.url}/ok?case=lazy` });
    expect(await t.env.db.selectFrom('signing_secrets').where('user_id', '=', owner.userId).select('user_id').execute()).toEqual([]);

    await runOnce(task.id);

    const { secret } = await getSigningSecret({ db: t.env.db, keys: { current: secretsKey } }, owner.userId);
    expect(verifies(secret, '', webhookHeadersOf(hitOf(target, 'lazy')!))).toBe(true);
  });
});

describe('secrets bound to their origin at send time', () => {
  it('sends nothing when the URL was moved to another origin behind the API, and says why', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'moved', url: `${target.url}/ok?case=moved`, token: 'for-the-first-origin' });
    // What the API refuses (see the API's tests): a row changed directly, as by a bug or a hand-edit.
    await t.updateTask(task.id, { url: `${otherTarget.url}/ok?case=moved` });

    const summary = await runOnce(task.id);

    expect(summary).toMatchObject({ outcome: 'failed' });
    expect(hitOf(otherTarget, 'moved')).toBeUndefined();
    expect(hitOf(target, 'moved')).toBeUndefined();
    expect((await taskRow(task.id)).last_error).toMatch(/^not sent: the task's token or headers were not given for its URL's origin/);
  });

  it('keeps sending the secrets when only the path or query changes', async () => {
    const task = await createTask(t.tasks, t.actor, {
      name: 'same origin',
      url: `${target.url}/status/500?case=before`,
      token: 'same-origin-token',
      headers: { 'X-Functions-Key': 'fn-key' },
    });
    await t.updateTask(task.id, { url: `${target.url}/echo?case=same-origin` });

    await runOnce(task.id);

    expect(hitOf(target, 'same-origin')?.headers).toMatchObject({ authorization: 'Bearer same-origin-token', 'x-functions-key': 'fn-key' });
  });

  it('opens secrets sealed with SECRETS_KEY_PREVIOUS after the key changed', async () => {
    const oldKey = randomBytes(32);
    const task = await createTask({ ...t.tasks, secretsKey: oldKey }, t.actor, {
      name: 'old key',
      url: `${target.url}/echo?case=old-key`,
      token: 'sealed-before-rotation',
    });

    await runOnce(task.id, { ...attempts, secretsKey, secretsKeyPrevious: oldKey });

    expect(hitOf(target, 'old-key')?.headers.authorization).toBe('Bearer sealed-before-rotation');
  });
});

/** How rows were sealed before v2 (raw key, no binding). */
function sealV1(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

describe('resealSecrets (pnpm secrets:rotate)', () => {
  it('re-seals v1 values and values under the previous key, is idempotent, and leaves what it cannot open', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const owner = await newActor();
    const oldContext = { ...t.tasks, secretsKey: oldKey };
    const underOldKey = await createTask(oldContext, owner, {
      name: 'old',
      url: `${target.url}/ok`,
      token: 'tok-old',
      headers: { 'X-Api-Key': 'api-old' },
    });
    const v1 = await createTask(oldContext, owner, { name: 'v1', url: `${otherTarget.url}/ok`, token: 'placeholder' });
    await t.updateTask(v1.id, { token: sealV1(oldKey, 'tok-v1'), secret_headers: sealV1(oldKey, JSON.stringify({ Cookie: 'c=1' })) });
    const lost = await createTask({ ...t.tasks, secretsKey: randomBytes(32) }, owner, {
      name: 'lost',
      url: `${target.url}/ok`,
      token: 'x',
    });
    const lostToken = (await taskRow(lost.id)).token;
    const { secret: signing } = await getSigningSecret({ db: t.env.db, keys: { current: oldKey } }, owner.userId);
    const keys = { current: newKey, previous: oldKey };

    const counts = await resealSecrets(t.env.db, keys, { batchSize: 2 });

    // Other tests' rows were sealed under yet another key: counted as not opening, and left as they are.
    expect(counts['task token'].resealed).toBe(2);
    expect(counts['task headers'].resealed).toBe(2);
    expect(counts['signing secret'].resealed).toBe(1);
    expect(counts['task token'].failed).toBeGreaterThanOrEqual(1);
    expect((await taskRow(lost.id)).token).toBe(lostToken);

    const newOnly = { current: newKey };
    for (const row of [await taskRow(underOldKey.id), await taskRow(v1.id)]) {
      expect(row.token!.startsWith(`v2.${keyIdOf(newKey)}.`)).toBe(true);
      expect(row.secret_headers!.startsWith(`v2.${keyIdOf(newKey)}.`)).toBe(true);
    }
    expect(openTaskSecrets(newOnly, await taskRow(underOldKey.id))).toEqual({ token: 'tok-old', headers: { 'X-Api-Key': 'api-old' } });
    expect(openTaskSecrets(newOnly, await taskRow(v1.id))).toEqual({ token: 'tok-v1', headers: { Cookie: 'c=1' } });
    expect(await getSigningSecret({ db: t.env.db, keys: newOnly }, owner.userId)).toEqual({ secret: signing });

    const again = await resealSecrets(t.env.db, keys);
    expect(Object.values(again).map((count) => count.resealed)).toEqual([0, 0, 0, 0]);
  });
});
