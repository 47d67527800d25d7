import { randomBytes, randomUUID } from 'node:crypto';
import { createTestEnvironment, startTargetServer, type PunctualProcess, type TargetServer, type TestEnvironment } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PunctualClient, punctualEnv, startApiAndWorker, stopAll, uniqueSecrets, workerIdOf } from './punctual-client.js';

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

function linesOf(process: PunctualProcess): LogLine[] {
  return process
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

// Real API and worker processes logging at `trace` (every line they can write), asked to handle every kind of secret.
describe('logs of a real API and worker', () => {
  let environment: TestEnvironment;
  let target: TargetServer;
  let api: PunctualProcess & { url: string };
  let worker: PunctualProcess;
  let client: PunctualClient;
  const secrets = uniqueSecrets({
    taskToken: 'tok',
    apiKeyHeader: 'hdr',
    cookie: 'cookie',
    customAuth: 'auth',
    wrongBearer: 'bearer',
    basicPassword: 'basic',
  });
  // The processes' own secrets, each unique so that a match can only be a leak.
  const config = {
    JWT_SECRET: `jwt-secret-${randomUUID()}`,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    ADMIN_EMAIL: `admin-${randomUUID()}@example.com`,
    ADMIN_PASSWORD: `admin-password-${randomUUID()}`,
  };
  let signingSecret: string;
  let apiKey: string;
  const taskIds: string[] = [];

  beforeAll(async () => {
    [environment, target] = await Promise.all([createTestEnvironment(), startTargetServer()]);
    const env = punctualEnv(environment, { LOG_LEVEL: 'trace', ...config });
    ({ api, worker, client } = await startApiAndWorker(env));

    signingSecret = (await client.request<{ secret: string }>('GET', '/api/v1/auth/signing-secret')).body.secret;
    apiKey = (await client.request<{ key: string }>('POST', '/api/v1/auth/api-keys', { name: 'logs', scope: 'full' })).body.key;
    await fetch(`${api.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${apiKey}` } });
    await fetch(`${api.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${secrets.wrongBearer}` } });
    const basic = Buffer.from(`someone@example.com:${secrets.basicPassword}`).toString('base64');
    await fetch(`${api.url}/admin/queues/api/queues`, { headers: { authorization: `Basic ${basic}` } });
    // The bootstrap admin logs in (ADMIN_PASSWORD in a body) and opens the board (in a Basic header).
    const adminLogin = await fetch(`${api.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }),
    });
    expect(adminLogin.status).toBe(200);
    const adminBasic = Buffer.from(`${config.ADMIN_EMAIL}:${config.ADMIN_PASSWORD}`).toString('base64');
    expect((await fetch(`${api.url}/admin/queues/api/queues`, { headers: { authorization: `Basic ${adminBasic}` } })).status).toBe(200);

    const headers = { 'X-Api-Key': secrets.apiKeyHeader, Cookie: secrets.cookie, 'X-Custom-Auth': secrets.customAuth, 'X-Plain': 'plain' };
    // Two failing attempts each: the target answers 500, and a port where nothing listens refuses the connection.
    for (const url of [`${target.url}/status/500`, 'http://127.0.0.1:1/refused']) {
      const task = await client.createTask({
        url,
        token: secrets.taskToken,
        headers,
        maxRetries: 1,
        backoff: { type: 'fixed', delayMs: 100 },
      });
      taskIds.push(task.id);
    }
    await Promise.all(taskIds.map((id) => client.waitForStatus(id, 'failed', 20_000)));
    // The worker logs an attempt just after recording it: wait for the fourth line.
    await worker.waitForOutput(/("msg":"attempt finished"[\s\S]*){4}/, 10_000);
  }, 90_000);

  afterAll(async () => {
    try {
      await stopAll([api, worker]);
    } finally {
      await target?.close();
      await environment?.cleanup();
    }
  });

  it('never contain a token, a sensitive header value, a signing secret, an API key, a JWT, a password or a configured secret', () => {
    const output = api.output() + worker.output();
    // The lines are there: requests were logged, attempts were logged.
    expect(linesOf(api).filter((line) => line.msg === 'incoming request').length).toBeGreaterThanOrEqual(8);

    for (const [name, secret] of Object.entries({
      ...secrets,
      signingSecret,
      apiKey,
      jwt: client.token,
      password: 'correct horse battery staple',
      jwtSecret: config.JWT_SECRET,
      secretsKey: config.SECRETS_KEY,
      adminPassword: config.ADMIN_PASSWORD,
    })) {
      expect(output.includes(secret), `${name} appears in the logs`).toBe(false);
    }
  });

  it('puts taskId, runId, attempt and workerId on every line about an attempt', () => {
    const attemptLines = linesOf(worker).filter((line) => typeof line.taskId === 'string' && taskIds.includes(line.taskId));

    expect(attemptLines.filter((line) => line.msg === 'attempt finished')).toHaveLength(4);
    for (const line of attemptLines) {
      expect(line, line.msg).toMatchObject({
        taskId: expect.any(String),
        runId: expect.any(String),
        attempt: expect.any(Number),
        workerId: workerIdOf(worker),
      });
    }
  });
});
