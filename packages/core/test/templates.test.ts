import { randomBytes } from 'node:crypto';
import { createTask, getSigningSecret, runAttempt } from '@punctual/core';
import { startTargetServer, useFixture, useTaskEnvironment, type TargetHit } from '@punctual/testing';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { logsOfTask, taskRowOf, useAttemptContext } from './attempt-context.js';

// Template tasks over whole attempts: what a real local target receives at each attempt of a run.

const secretsKey = randomBytes(32);
const t = useTaskEnvironment({ email: 'templates@example.com', allowPrivateTargets: true, secretsKey, maxRetries: 2 });
const attempts = useAttemptContext(t);
const target = useFixture(startTargetServer, (server) => server.close());

const taskRow = (id: string) => taskRowOf(t, id);
const logsOf = (id: string) => logsOfTask(t, id);

async function attemptNow(id: string) {
  const row = await taskRow(id);
  return runAttempt(attempts, { taskId: id, runId: row.run_id, version: row.version });
}

function queryOf(hit: TargetHit): URLSearchParams {
  return new URLSearchParams(hit.query);
}

describe('a template task', () => {
  it('fills the query, header values (sealed ones too) and the JSON body at each attempt of a run, retry included', async () => {
    const task = await createTask(t.tasks, t.actor, {
      name: 'template',
      url: `${target().url}/flaky/1/template-run?run={{runId}}&n={{attempt}}&due={{scheduledFor}}&at={{now}}&task={{taskId}}`,
      method: 'POST',
      headers: { 'X-Run': '{{runId}}/{{attempt}}', 'Idempotency-Key': 'run-{{runId}}', 'X-Literal': 'no placeholders' },
      body: { run: '{{runId}}', attempt: '{{attempt}}', due: 'due at {{scheduledFor}}', n: 1, quoted: '"{{taskId}}"' },
      template: true,
      backoff: { type: 'fixed', delayMs: 1_000 },
    });
    const { run_id: runId } = await taskRow(task.id);

    expect(await attemptNow(task.id)).toMatchObject({ outcome: 'failed', status: 'retrying' });
    expect(await attemptNow(task.id)).toMatchObject({ outcome: 'succeeded', status: 'completed' });

    const hits = target().hitsFor('/flaky/1/template-run');
    const logs = await logsOf(task.id);
    expect(hits).toHaveLength(2);
    expect(logs).toHaveLength(2);
    for (const [index, hit] of hits.entries()) {
      const attempt = index + 1;
      const log = logs[index]!;
      expect(log.attempt).toBe(attempt);
      // The query's values are percent-encoded: the times' ":" arrive as %3A.
      expect(hit.query).toContain(`due=${encodeURIComponent(log.scheduled_for.toISOString())}`);
      expect(Object.fromEntries(queryOf(hit))).toEqual({
        run: runId,
        n: String(attempt),
        due: log.scheduled_for.toISOString(),
        at: log.started_at.toISOString(),
        task: task.id,
      });
      expect(hit.headers).toMatchObject({
        'x-run': `${runId}/${attempt}`,
        'idempotency-key': `run-${runId}`,
        'x-literal': 'no placeholders',
        'punctual-attempt': String(attempt),
      });
      expect(JSON.parse(hit.body)).toEqual({
        run: runId,
        attempt: String(attempt),
        due: `due at ${log.scheduled_for.toISOString()}`,
        n: 1,
        quoted: `"${task.id}"`,
      });
    }
    // The retry was due later than the first attempt: its scheduledFor is the retry's due time.
    expect(logs[1]!.scheduled_for.getTime()).toBeGreaterThan(logs[0]!.scheduled_for.getTime());
    // What is stored (and shown) keeps the placeholders.
    expect(await taskRow(task.id)).toMatchObject({ body: { run: '{{runId}}' }, headers: { 'X-Run': '{{runId}}/{{attempt}}' } });
  });

  it('signs the body as filled', async () => {
    const { secret } = await getSigningSecret({ db: t.env.db, keys: { current: secretsKey } }, t.actor.userId);
    const task = await createTask(t.tasks, t.actor, {
      name: 'signed template',
      url: `${target().url}/ok/signed-template`,
      method: 'PUT',
      body: 'attempt {{attempt}} of run {{runId}}',
      template: true,
    });

    await attemptNow(task.id);

    const [hit] = target().hitsFor('/ok/signed-template');
    expect(hit!.body).toBe(`attempt 1 of run ${(await taskRow(task.id)).run_id}`);
    const headers = {
      'webhook-id': String(hit!.headers['webhook-id']),
      'webhook-timestamp': String(hit!.headers['webhook-timestamp']),
      'webhook-signature': String(hit!.headers['webhook-signature']),
    };
    expect(() => new Webhook(secret).verify(hit!.body, headers, { jsonParse: false })).not.toThrow();
  });

  it('sends the braces as they are when template is false', async () => {
    const task = await createTask(t.tasks, t.actor, {
      name: 'literal',
      url: `${target().url}/ok/literal?run={{runId}}`,
      method: 'POST',
      headers: { 'X-Run': '{{runId}} {{foo}}' },
      body: { run: '{{runId}}' },
    });

    await attemptNow(task.id);

    const [hit] = target().hitsFor('/ok/literal');
    expect(hit!.query).toBe('run={{runId}}');
    expect(hit!.headers['x-run']).toBe('{{runId}} {{foo}}');
    expect(JSON.parse(hit!.body)).toEqual({ run: '{{runId}}' });
  });
});
