import { createHmac, randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '@punctual/config';
import type { Session, Task } from '@punctual/contract';
import { bootstrapAdmin } from '@punctual/core';
import type { Database, Kysely, TaskRow } from '@punctual/db';
import type { QueueBackend, QueueBackendName, TaskQueue } from '@punctual/queue';
import { createTestEnvironment, type TestEnvironment } from '@punctual/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildApp } from '../src/app.js';

export type { Page, Session } from '@punctual/contract';

export const JWT_SECRET = 'x'.repeat(32);
export const PASSWORD = 'correct horse battery';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  /** The queue backend the app was built with (pointed where `redisUrl`/`databaseUrl` say). */
  queueBackend: QueueBackend;
  queue: TaskQueue;
  /** Closes the app, then the queue backend (the environment is the caller's to clean up). */
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment variables on top of the test environment's (ALLOW_REGISTRATION, ADMIN_EMAIL, JWT_EXPIRES_IN, …). */
  env?: Record<string, string>;
  /** Points the app's queue backend at another Redis (Redis backend: the queue, health and rate limits). */
  redisUrl?: string;
  /** Another queue backend than the environment's (QUEUE_BACKEND of the test run). */
  queueBackend?: QueueBackendName;
  /** The built dashboard the app serves at `/` (a folder with index.html and assets/); @punctual/dashboard's by default. */
  dashboardRoot?: string;
}

/** The API as `server.ts` builds it, over this test file's own database, Redis prefix and queue. */
export async function createTestApp(env: TestEnvironment, options: TestAppOptions = {}): Promise<TestApp> {
  const backend = options.queueBackend ?? env.queueBackend;
  const config = loadConfig({ ...env.processEnv, JWT_SECRET, LOG_LEVEL: 'silent', QUEUE_BACKEND: backend, ...options.env });
  const queueBackend = await env.createQueueBackend({ backend, ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }) });
  const app = await buildApp(
    { config, db: env.db, queueBackend },
    options.dashboardRoot === undefined ? {} : { dashboardRoot: options.dashboardRoot },
  );
  await app.ready();
  // The request-path clients fail fast instead of queueing commands, so until they have connected /health says
  // degraded and requests go uncounted by the rate limits.
  if (options.redisUrl === undefined) await queueBackend.waitUntilReady(10_000);
  return {
    app,
    config,
    queueBackend,
    queue: queueBackend.tasks,
    async close() {
      await app.close();
      await queueBackend.close();
    },
  };
}

export interface UseTestAppOptions<User extends string> extends TestAppOptions {
  /** Fresh accounts to register once the app is up, by name (each hashes a password, so a file shares a few). */
  users?: readonly User[];
  /** An admin the app bootstraps from ADMIN_EMAIL and ADMIN_PASSWORD, then logs in as `fixture.admin`. */
  admin?: { email: string; password: string };
}

/** What `useTestApp` fills in before the file's tests (and its own `beforeAll` hooks, which run after) start. */
export interface TestAppFixture<User extends string> {
  env: TestEnvironment;
  api: TestApp;
  /** The accounts `options.users` named; the objects exist at once and are filled in place, so a file may destructure them. */
  users: Record<User, Session>;
  /** The session of `options.admin` (filled in place like `users`; empty without `options.admin`). */
  admin: Session;
}

/**
 * The preamble of an API test file: registers the `beforeAll` that builds this file's environment, app and accounts,
 * and the `afterAll` that closes them; returns the handle those hooks fill in.
 */
export function useTestApp<const User extends string = never>(options: UseTestAppOptions<User> = {}): TestAppFixture<User> {
  const { users = [], admin, ...appOptions } = options;
  const adminEnv: Record<string, string> = admin ? { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password } : {};
  const fixture = {
    users: Object.fromEntries(users.map((name) => [name, {}])),
    admin: {},
  } as TestAppFixture<User>;
  beforeAll(async () => {
    fixture.env = await createTestEnvironment();
    fixture.api = await createTestApp(fixture.env, { ...appOptions, env: { ...adminEnv, ...appOptions.env } });
    if (admin) {
      await bootstrapAdmin(fixture.env.db, fixture.api.config.admin!);
      Object.assign(fixture.admin, await login(fixture.api.app, admin.email, admin.password));
    }
    await Promise.all(users.map(async (name) => Object.assign(fixture.users[name], await register(fixture.api.app))));
  });
  afterAll(async () => {
    await fixture.api?.close();
    await fixture.env?.cleanup();
  });
  return fixture;
}

/** Registers a fresh account (a unique email unless one is given) and returns its token and user. */
export async function register(app: FastifyInstance, email = `user-${randomUUID()}@example.com`): Promise<Session> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Session>();
}

/** Logs in and returns the session. */
export async function login(app: FastifyInstance, email: string, password = PASSWORD): Promise<Session> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Session>();
}

export function authed(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** An HS256 JWT signed independently of the app, so a test can make one the app should refuse (expired, say). */
export function signJwt(payload: Record<string, unknown>, secret = JWT_SECRET): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** A valid task body; override any field. */
export function taskBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'Ping billing', url: 'https://api.example.com/hook', ...overrides };
}

/** A task as the API returns it (the contract's type; the values a test expects stay written out in the test). */
export type TaskResponse = Task;

/** Creates a task as `token` and returns it (asserting 201). */
export async function createTask(app: FastifyInstance, token: string, overrides: Record<string, unknown> = {}): Promise<TaskResponse> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: authed(token), payload: taskBody(overrides) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<TaskResponse>();
}

/** How many tasks the database holds: what a refused request must leave unchanged. */
export async function countTasks(db: Kysely<Database>): Promise<number> {
  const { total } = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<string>().as('total'))
    .executeTakeFirstOrThrow();
  return Number(total);
}

/**
 * A task row made ready to be inserted again as the template of many (a test that needs more tasks than the API would
 * create in good time): without its id, run id and timestamps, its JSON columns as JSON text.
 */
export function copyableTaskRow(row: TaskRow) {
  const {
    id: _id,
    run_id: _runId,
    created_at: _createdAt,
    updated_at: _updatedAt,
    headers,
    body,
    backoff,
    notify,
    callbacks,
    success_codes: successCodes,
    retry_on: retryOn,
    flow_control: flowControl,
    ...rest
  } = row;
  return {
    ...rest,
    headers: JSON.stringify(headers),
    body: body === null ? null : JSON.stringify(body),
    backoff: JSON.stringify(backoff),
    notify: JSON.stringify(notify),
    callbacks: callbacks === null ? null : JSON.stringify(callbacks),
    success_codes: successCodes === null ? null : JSON.stringify(successCodes),
    retry_on: retryOn === null ? null : JSON.stringify(retryOn),
    flow_control: flowControl === null ? null : JSON.stringify(flowControl),
  };
}

/** A 400 whose message names `field` first (`body/url must …`); returns the message. */
export function expectRefused(response: { statusCode: number; body: string; json: () => unknown }, field: string): string {
  expect(response.statusCode, response.body).toBe(400);
  const { message } = response.json() as { message: string };
  expect(message.startsWith(`${field} `), message).toBe(true);
  return message;
}

/**
 * A finished attempt of `task` (or one in flight, with a null outcome) written straight into task_logs, for the tests
 * of what reads them: it started at `startedAt`, `lateMs` after it was due, and took `durationMs`.
 */
export async function insertAttemptLog(
  db: Kysely<Database>,
  task: Pick<Task, 'id' | 'userId'>,
  attempt: { startedAt: Date; outcome: 'succeeded' | 'failed' | null; durationMs: number | null; lateMs?: number },
): Promise<void> {
  const { startedAt, outcome, durationMs, lateMs = 0 } = attempt;
  await db
    .insertInto('task_logs')
    .values({
      task_id: task.id,
      user_id: task.userId,
      run_id: randomUUID(),
      attempt: 1,
      outcome,
      status_code: outcome === null ? null : outcome === 'succeeded' ? 200 : 503,
      duration_ms: durationMs,
      scheduled_for: new Date(startedAt.getTime() - lateMs),
      started_at: startedAt,
      finished_at: outcome === null ? null : new Date(startedAt.getTime() + (durationMs ?? 0)),
      worker_id: 'worker-test:1',
    })
    .execute();
}
