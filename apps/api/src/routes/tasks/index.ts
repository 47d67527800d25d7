import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  createTaskIdempotently,
  deleteTask,
  getTask,
  getTaskStatus,
  listTaskLogsOf,
  listTaskNotificationsOf,
  listTasks,
  updateTask,
  type CreateTaskInput,
} from '@punctual/core';
import {
  CreateTaskBody,
  CreateTaskHeaders,
  IdParams,
  Paginated,
  RefTo,
  Task,
  TaskListQuery,
  TaskLog,
  TaskLogsQuery,
  TaskNotification,
  TaskNotificationsQuery,
  TaskStatusResponse,
  UpdateTaskBody,
} from '@punctual/contract';
import { TASK_TRANSITIONS, describeTransition } from '@punctual/scheduling';
import { Type } from 'typebox';
import { errorResponses } from '../../schemas/common.js';

export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const context = app.punctual.tasks;
  const security = [{ bearerAuth: [] }];

  app.post(
    '/tasks',
    {
      schema: {
        operationId: 'createTask',
        tags: ['tasks'],
        summary: 'Create a task: one HTTP call at scheduledAt (default now), or one on every occurrence of cron',
        description:
          'With an `Idempotency-Key` header, a repeat by the same user within 24 h returns the original task with 200 and ' +
          '`Idempotent-Replayed: true`, and creates and queues nothing, even when the repeats arrive at the same time. ' +
          'The same key with a different body (compared as canonical JSON) is a 409. Keys are per user and free again ' +
          'after 24 h; deleting the task frees its key at once, so a repeat then creates a new task.',
        security,
        headers: CreateTaskHeaders,
        body: CreateTaskBody,
        response: {
          200: RefTo(Task, { description: 'a replay: the task this Idempotency-Key created' }),
          201: RefTo(Task),
          ...errorResponses(400, 401, 403, 409, 413, 415, 429),
        },
      },
    },
    async (request, reply) => {
      const { task, replayed } = await createTaskIdempotently(context, request.actor, request.body as CreateTaskInput, {
        idempotencyKey: request.headers['idempotency-key'],
      });
      if (replayed) reply.status(200).header('idempotent-replayed', 'true');
      else {
        app.metrics.taskCreated();
        reply.status(201);
      }
      return reply.header('location', `/api/v1/tasks/${task.id}`).send(task);
    },
  );

  app.get(
    '/tasks',
    {
      schema: {
        operationId: 'listTasks',
        tags: ['tasks'],
        summary: "The caller's tasks (an admin's: everyone's), filtered and paginated",
        security,
        querystring: TaskListQuery,
        response: { 200: Paginated(RefTo(Task)), ...errorResponses(400, 401) },
      },
    },
    async (request) => listTasks(context, request.actor, request.query),
  );

  app.get(
    '/tasks/:id',
    {
      schema: {
        operationId: 'getTask',
        tags: ['tasks'],
        summary: 'One task',
        security,
        params: IdParams,
        response: { 200: RefTo(Task), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => getTask(context, request.actor, request.params.id),
  );

  app.get(
    '/tasks/:id/status',
    {
      schema: {
        operationId: 'getTaskStatus',
        tags: ['tasks'],
        summary: "A task's status, cheaply",
        security,
        params: IdParams,
        response: { 200: TaskStatusResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => getTaskStatus(context, request.actor, request.params.id),
  );

  const update = {
    schema: {
      tags: ['tasks'],
      summary: TASK_TRANSITIONS.update.summary,
      description: `${describeTransition('update')} ${TASK_TRANSITIONS.update.description} Otherwise 409, naming the current status.`,
      security,
      params: IdParams,
      body: UpdateTaskBody,
      response: { 200: RefTo(Task), ...errorResponses(400, 401, 404, 409, 413, 415) },
    },
  };
  // PUT takes the same partial body as PATCH (the contract names both).
  for (const [method, operationId] of [
    ['PATCH', 'updateTask'],
    ['PUT', 'putTask'],
  ] as const) {
    app.route({
      method,
      url: '/tasks/:id',
      ...update,
      schema: { ...update.schema, operationId },
      handler: async (request) => updateTask(context, request.actor, request.params.id, request.body as Partial<CreateTaskInput>),
    });
  }

  app.delete(
    '/tasks/:id',
    {
      schema: {
        operationId: 'deleteTask',
        tags: ['tasks'],
        summary: TASK_TRANSITIONS.delete.summary,
        description: `${describeTransition('delete')} ${TASK_TRANSITIONS.delete.description}`,
        security,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await deleteTask(context, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/tasks/:id/logs',
    {
      schema: {
        operationId: 'listTaskLogs',
        tags: ['logs'],
        summary: "A task's attempts, newest first",
        security,
        params: IdParams,
        querystring: TaskLogsQuery,
        response: { 200: Paginated(RefTo(TaskLog)), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => listTaskLogsOf(context, request.actor, request.params.id, request.query),
  );

  app.get(
    '/tasks/:id/notifications',
    {
      schema: {
        tags: ['tasks'],
        operationId: 'listTaskNotifications',
        summary: "A task's emails and callbacks, newest first",
        description:
          "One row per email or callback a run's outcome asked for (notify, callbacks), with its delivery status: pending " +
          "(retries may follow), sent, or failed (given up on). 404 when the task is absent or not the caller's.",
        security,
        params: IdParams,
        querystring: TaskNotificationsQuery,
        response: { 200: Paginated(RefTo(TaskNotification)), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => listTaskNotificationsOf(context, request.actor, request.params.id, request.query),
  );
};
