import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actOnTask, actOnTasks } from '@punctual/core';
import { type TaskAction } from '@punctual/scheduling';
import { BulkActionBody, BulkActionResponse, IdParams, RefTo, Task } from '@punctual/contract';
import { errorResponses } from '../../schemas/common.js';

/** What each action does, as the OpenAPI document tells it (the contract's action table). */
const ACTIONS: Record<TaskAction, { summary: string; description: string }> = {
  run: {
    summary: 'Run now: one extra run, from any status but running and cancelled',
    description:
      'Starts a fresh run now (new runId, attempts 0). A recurring task keeps its schedule: after this run it waits for its next ' +
      'occurrence. A pending one-off runs now instead of later; a completed or failed one-off runs again; a retrying task abandons ' +
      'its current run for the new one. A paused task makes this one run and then returns to paused.',
  },
  pause: {
    summary: 'Pause a pending or retrying task: nothing fires until it is resumed',
    description: 'pending | retrying → paused. The queued attempt is withdrawn; a worker that picks it up anyway drops it without a call.',
  },
  resume: {
    summary: 'Resume a paused task',
    description:
      'paused → pending (retrying when the current run has attempts). A nextRunAt already past runs at once; a recurring task that ' +
      'missed occurrences while paused runs once, then keeps its schedule.',
  },
  cancel: {
    summary: 'Cancel a task that is not terminal: nothing fires afterwards',
    description:
      'pending | running | retrying | paused → cancelled (terminal). An attempt already in flight finishes and is logged, but its ' +
      'result is dropped and nothing follows it.',
  },
  retry: {
    summary: 'Re-drive a failed, completed or cancelled one-off task as a fresh run now',
    description: 'failed | completed | cancelled (one-off only) → pending, with a new runId and attempts reset; runs at once.',
  },
  'reset-retries': {
    summary: "Set the current run's attempt count to 0",
    description: 'From any status; the status and schedule do not change. A retrying task gets its full 1 + maxRetries attempts again.',
  },
};

export const taskActionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const context = app.punctual.tasks;
  const security = [{ bearerAuth: [] }];

  for (const [action, doc] of Object.entries(ACTIONS) as [TaskAction, (typeof ACTIONS)[TaskAction]][]) {
    app.post(
      `/tasks/:id/${action}`,
      {
        schema: {
          tags: ['task actions'],
          ...doc,
          description: `${doc.description} A disallowed transition is 409, naming the current status. Any request body is ignored.`,
          security,
          params: IdParams,
          response: { 200: RefTo(Task), ...errorResponses(400, 401, 404, 409) },
        },
      },
      async (request) => actOnTask(context, request.actor, request.params.id, action),
    );
  }

  app.post(
    '/tasks/bulk',
    {
      schema: {
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
};
