import { runAttempt, type AttemptContext } from '@punctual/core';
import { parseTaskAttemptJob } from '@punctual/queue';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';

/** The BullMQ processor: parses the job (ids only) and runs the attempt; Postgres decides whether it is still wanted. */
export function createProcessor(context: AttemptContext, logger: Logger) {
  return async (job: Job): Promise<void> => {
    const payload = parseTaskAttemptJob(job.data);
    if (!payload) {
      logger.warn({ jobId: job.id, name: job.name }, 'dropping a job that is not a task attempt');
      return;
    }
    const summary = await runAttempt(context, payload);
    if (summary.kind === 'dropped') {
      logger.debug({ jobId: job.id, taskId: payload.taskId, version: payload.version }, 'dropped a stale job without calling');
    } else {
      logger.info(
        { taskId: summary.taskId, runId: summary.runId, attempt: summary.attempt, outcome: summary.outcome, status: summary.status },
        'attempt finished',
      );
    }
  };
}
