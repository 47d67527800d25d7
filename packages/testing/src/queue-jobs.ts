import type { QueueBackend } from '@punctual/queue';

/**
 * Makes the job `jobId` a job that BullMQ gave up on, on any backend: whatever job has that id is replaced by one with
 * a single attempt, which a worker then fails. Resolves once it is `failed`.
 */
export async function failJob(backend: QueueBackend, jobId: string): Promise<void> {
  const { queue } = backend.tasks;
  await queue.remove(jobId).catch(() => 0);
  const failed = backend.createWorker(
    async (job) => {
      if (job.id === jobId) throw new Error('given up on (test)');
    },
    { concurrency: 1 },
  );
  try {
    await queue.add('task-attempt', {}, { jobId, attempts: 1, removeOnFail: false });
    const deadline = Date.now() + 15_000;
    while ((await queue.getJobState(jobId)) !== 'failed') {
      if (Date.now() > deadline) throw new Error(`job ${jobId} did not fail within 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await failed.close();
  }
}
