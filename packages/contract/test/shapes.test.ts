import { HTTP_METHODS, type HttpMethod as ExecutorHttpMethod } from '@punctual/executor';
import {
  ATTEMPT_OUTCOMES,
  BULK_ACTIONS,
  TASK_STATUSES,
  type AttemptOutcome as SchedulingOutcome,
  type BackoffPolicy,
  type BulkAction,
  type TaskStatus as SchedulingStatus,
} from '@punctual/scheduling';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  BulkActionBody,
  type ApiKey,
  type BulkActionResponse,
  type CreatedApiKey,
  type ManagedUser,
  CreateTaskBody,
  HttpMethod,
  RefTo,
  Stats,
  StringEnum,
  Task,
  TaskLog,
  TaskStatus,
  UpdateTaskBody,
  type Page,
  type Session,
} from '../src/index.js';

describe('the unions come from the constants that define them', () => {
  it("renders a StringEnum as one string enum, in the constant's order", () => {
    expect(StringEnum(['a', 'b'], { description: 'd' })).toEqual({ description: 'd', type: 'string', enum: ['a', 'b'] });
  });

  it.each([
    ['TaskStatus', TaskStatus, TASK_STATUSES],
    ['HttpMethod', HttpMethod, HTTP_METHODS],
    ['BulkActionBody.action', BulkActionBody.properties.action, BULK_ACTIONS],
    ['TaskLog.outcome', TaskLog.properties.outcome, ATTEMPT_OUTCOMES],
  ])('%s lists exactly the constant', (_name, schema, values) => {
    expect((schema as { enum?: unknown }).enum).toEqual([...values]);
  });

  it('has a byStatus count for every status', () => {
    expect(Object.keys(Stats.properties.tasks.properties.byStatus.properties)).toEqual([...TASK_STATUSES]);
  });

  it('types the shapes with the same unions as the code that produces them', () => {
    expectTypeOf<Task['status']>().toEqualTypeOf<SchedulingStatus>();
    expectTypeOf<Task['method']>().toEqualTypeOf<ExecutorHttpMethod>();
    expectTypeOf<Task['lastOutcome']>().toEqualTypeOf<SchedulingOutcome | null>();
    expectTypeOf<Task['backoff']>().toEqualTypeOf<BackoffPolicy>();
    expectTypeOf<Task['headers']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<TaskLog['outcome']>().toEqualTypeOf<SchedulingOutcome>();
    expectTypeOf<TaskLog['responseHeaders']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<Session['user']['role']>().toEqualTypeOf<'user' | 'admin'>();
    expectTypeOf<Page<Task>['data']>().toEqualTypeOf<Task[]>();
    expectTypeOf<ManagedUser['role']>().toEqualTypeOf<'user' | 'admin'>();
    expectTypeOf<ApiKey['scope']>().toEqualTypeOf<'full' | 'read'>();
    expectTypeOf<CreatedApiKey>().toEqualTypeOf<ApiKey & { key: string }>();
    expectTypeOf<BulkActionBody['action']>().toEqualTypeOf<BulkAction>();
    expectTypeOf<BulkActionResponse['results'][number]>().toEqualTypeOf<
      { id: string; ok: true } | { id: string; ok: false; statusCode: number; message: string }
    >();
  });
});

describe('request bodies', () => {
  const body = { name: 'Ping', url: 'https://api.example.com/hook' };

  it.each([
    ['backoff', { backoff: { delayMs: 5, factor: 2 } }],
    ['notify', { notify: { onFailure: true, onSuccess: true } }],
    ['the body itself', { extra: 1 }],
  ])('refuse an unknown field in %s (TypeBox 1.x Partial does not keep additionalProperties by itself)', (_where, extra) => {
    expect(Value.Check(CreateTaskBody, { ...body, ...extra })).toBe(false);
    expect(Value.Check(UpdateTaskBody, extra)).toBe(false);
  });

  it('accept a partial backoff and notify', () => {
    expect(Value.Check(CreateTaskBody, { ...body, backoff: { delayMs: 5 }, notify: { onRetry: true } })).toBe(true);
  });

  it('default the method to GET on create only', () => {
    expect(CreateTaskBody.properties.method).toMatchObject({ default: 'GET' });
    expect(UpdateTaskBody.properties.method).not.toHaveProperty('default');
  });
});

describe('RefTo', () => {
  it('refers to a registered shape by its $id', () => {
    expect(RefTo(Task, { description: 'x' })).toEqual({ $ref: 'Task', description: 'x' });
  });

  it('refuses a shape without an $id', () => {
    expect(() => RefTo(Type.Object({}))).toThrow(/no \$id/);
  });
});
