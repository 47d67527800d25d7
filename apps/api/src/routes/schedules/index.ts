import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { previewCron, previewTaskRuns } from '@punctual/core';
import { IdParams, ScheduleOccurrences, SchedulePreviewQuery, TaskSchedulePreviewQuery } from '@punctual/contract';
import { errorResponses } from '../../schemas/common.js';

/** The schedule preview: a cron expression's next occurrences, and a recurring task's next runs. */
export const scheduleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const context = app.punctual.tasks;
  const security = [{ bearerAuth: [] }];

  app.get(
    '/schedules/next',
    {
      schema: {
        tags: ['schedules'],
        operationId: 'previewSchedule',
        summary: 'The next occurrences of a cron expression in a time zone, as a task with it would run them',
        description:
          'The same rules and the same code as a task’s schedule: cron and timezone are checked as on create (400 naming ' +
          'querystring/cron or querystring/timezone, MIN_CRON_INTERVAL_SECONDS included), and the occurrences are those the ' +
          'scheduler runs, strictly after `from` (default now). `dst` marks an occurrence a daylight-saving night moved: ' +
          '"gap" (spring forward: the wall-clock time does not exist, it runs moved forward by the gap) or "repeat" (fall ' +
          'back: the wall-clock time exists twice, it runs in the first only; a job whose hour field is every hour runs in ' +
          'both, unmarked).',
        security,
        querystring: SchedulePreviewQuery,
        response: { 200: ScheduleOccurrences, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => previewCron(request.query, new Date(), context.limits),
  );

  app.get(
    '/tasks/:id/next',
    {
      schema: {
        tags: ['schedules'],
        operationId: 'previewTaskSchedule',
        summary: 'The next runs of a recurring task, as the scheduler will make them',
        description:
          'From the task’s current state: a next run that is already missed (by more than MISFIRE_GRACE_MS) as its misfire ' +
          'policy will run it (under once the catch-up run, in the past: it runs at once, then the occurrences after now; ' +
          'under all each missed one; under skip the next not yet missed); a paused task as if resumed now; a task in the ' +
          'middle of a run, the runs after it. 400 for a one-off task (params/id: it has no schedule); 404 when the task is ' +
          'absent or not the caller’s.',
        security,
        params: IdParams,
        querystring: TaskSchedulePreviewQuery,
        response: { 200: ScheduleOccurrences, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => previewTaskRuns(context, request.actor, request.params.id, request.query),
  );
};
