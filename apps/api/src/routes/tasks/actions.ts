import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MAX_REDRIVE_TASKS, actOnTask, actOnTasks, retryFailedTasks } from '@punctual/core';
import { BulkActionBody, BulkActionResponse, IdParams, RefTo, RetryFailedBody, RetryFailedResponse, Task } from '@punctual/contract';
import { TASK_ACTIONS, TASK_TRANSITIONS, describeTransition } from '@punctual/scheduling';
import { errorResponses } from '../../schemas/common.js';

export const taskActionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const context = app.punctual.tasks;
  const security = [{ bearerAuth: [] }];

  // What each action does, as the OpenAPI document tells it, is read off the transition table.
  for (const action of TASK_ACTIONS) {
    const { summary, description } = TASK_TRANSITIONS[action];
    app.post(
      `/tasks/:id/${action}`,
      {
        schema: {
          tags: ['task actions'],
          // run → runTask, reset-retries → resetRetriesTask
          operationId: `${action.replace(/-(\w)/g, (_match, letter: string) => letter.toUpperCase())}Task`,
          summary,
          description:
            `${describeTransition(action)} ${description} A disallowed transition is 409, naming the current status. ` +
            'Any request body is ignored.',
          security,
          params: IdParams,
          response: { 200: RefTo(Task), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => actOnTask(context, request.actor, request.params.id, action),
    );
  }

  app.post(
    '/tasks/bulk',
    {
      schema: {
        operationId: 'bulkTaskAction',
        tags: ['task actions'],
        summary: 'One action on up to 100 tasks; each id succeeds or fails alone',
        description:
          'Applies pause, resume, cancel, delete or run to every id the caller may act on, with the same transitions as the ' +
          'single-task actions. The reply has one result per id, in the order sent: a missing or foreign id is a 404 result and a ' +
          'disallowed transition a 409 result; neither stops the others.',
        security,
        body: BulkActionBody,
        response: { 200: BulkActionResponse, ...errorResponses(400, 401, 413, 415) },
      },
    },
    async (request) => ({ results: await actOnTasks(context, request.actor, request.body.ids, request.body.action) }),
  );

  app.post(
    '/tasks/retry-failed',
    {
      schema: {
        tags: ['task actions'],
        operationId: 'retryFailedTasks',
        summary: 'Re-drive failed one-off tasks in bulk, as the retry action does',
        description:
          "The caller's failed one-off tasks (an admin's: everyone's, or userId's) whose last attempt started in [since, until) " +
          `(either bound optional), with tag when given: at most ${MAX_REDRIVE_TASKS} per request, oldest ` +
          'last attempt first. Each gets a new runId, attempts 0, and runs now. A task whose owner is at MAX_TASKS_PER_USER live ' +
          'tasks is matched but not retried. With dryRun nothing changes and retried says how many would be. since after until is a 400.',
        security,
        body: RetryFailedBody,
        response: { 200: RetryFailedResponse, ...errorResponses(400, 401, 403, 413, 415) },
      },
      // Every field is optional, so no body at all means the same as `{}`: everything failed, now.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => retryFailedTasks(context, request.actor, request.body),
  );
};
