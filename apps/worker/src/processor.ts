import { runAttempt, type AttemptContext } from '@punctual/core';
import { isDatabaseUnavailable } from '@punctual/db';
import { parseTaskAttemptJob } from '@punctual/queue';
import { ATTEMPT_ATTRIBUTES, withAttemptSpan, type Span } from '@punctual/telemetry';
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';

export interface ProcessorHooks {
  /** Postgres stopped answering mid-job: the worker should stop taking jobs until it is back. */
  onDatabaseUnavailable(): void;
}

/**
 * The BullMQ processor: parses the job (ids only) and runs the attempt; Postgres decides whether it is still wanted.
 * When Postgres is away the job fails, BullMQ retries it after a backoff, and the worker pauses until Postgres answers.
 */
export function createProcessor(context: AttemptContext, logger: Logger, hooks: ProcessorHooks) {
  const processJob = async (job: Job, token: string | undefined, span: Span): Promise<void> => {
    const payload = parseTaskAttemptJob(job.data);
    if (!payload) {
      logger.warn({ jobId: job.id, name: job.name }, 'dropping a job that is not a task attempt');
      return;
    }
    // The worker's logger carries workerId; the job's lines add the task (and an attempt's, its run and number) (fields
    // of each line rather than a child logger per job: a child costs more than the one line it usually writes).
    const jobFields = { taskId: payload.taskId, jobId: job.id };
    span.setAttribute(ATTEMPT_ATTRIBUTES.taskId, payload.taskId);
    let summary;
    try {
      summary = await runAttempt(context, payload);
    } catch (error) {
      if (isDatabaseUnavailable(error)) hooks.onDatabaseUnavailable();
      throw error;
    }
    if (summary.kind === 'waiting') {
      // Not claimed and no attempt used: the job goes back to the queue and asks again when it is due.
      span.setAttribute(ATTEMPT_ATTRIBUTES.outcome, 'waiting');
      await job.moveToDelayed(Date.now() + summary.retryInMs, token);
      throw new DelayedError();
    }
    if (summary.kind === 'skipped') {
      span.setAttribute(ATTEMPT_ATTRIBUTES.outcome, 'skipped');
      logger.info(
        { ...jobFields, nextRunAt: summary.nextRunAt },
        'skipped missed occurrences (misfire policy): the task moved to its next run without a call',
      );
      return;
    }
    if (summary.kind === 'dropped') {
      span.setAttribute(ATTEMPT_ATTRIBUTES.outcome, 'dropped');
      logger.debug({ ...jobFields, version: payload.version }, 'dropped a stale job without calling');
    } else {
      span.setAttributes({
        [ATTEMPT_ATTRIBUTES.runId]: summary.runId,
        [ATTEMPT_ATTRIBUTES.attempt]: summary.attempt,
        [ATTEMPT_ATTRIBUTES.outcome]: summary.outcome,
      });
      logger.info(
        { ...jobFields, runId: summary.runId, attempt: summary.attempt, outcome: summary.outcome, status: summary.status },
        'attempt finished',
      );
    }
  };
  // Each attempt is a span of its own trace, linked to the enqueue (see withAttemptSpan); a no-op without tracing.
  return (job: Job, token?: string): Promise<void> => withAttemptSpan(job, (span) => processJob(job, token, span));
}
