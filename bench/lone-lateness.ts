import { randomUUID } from 'node:crypto';
import type { TargetServer } from '@punctual/testing';
import { createTasks, type ApiSession } from './api-session.js';
import { percentile } from './statistics.js';

/** How late lone delayed tasks were called, in milliseconds (target receive time minus `scheduledAt`). */
export interface LoneLatenessResult {
  samples: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Creates one task at a time through the API, due 1–2 s ahead at a random sub-second offset (so the due times fall
 * anywhere within Redis's and the worker's timer ticks), waits for its call at the target, and repeats: each sample
 * is a delayed task on an otherwise idle system.
 */
export async function measureLoneLateness(
  session: ApiSession,
  target: TargetServer,
  options: { samples: number; log(message: string): void },
): Promise<LoneLatenessResult> {
  const run = randomUUID().slice(0, 8);
  const samples: number[] = [];
  for (let index = 0; index < options.samples; index++) {
    const path = `/ok/lone-${run}/${index}/`;
    const scheduledAt = Date.now() + 1_000 + Math.floor(Math.random() * 1_000);
    await createTasks(
      session,
      [
        {
          name: `lone ${index}`,
          url: `${target.url}${path}`,
          method: 'POST',
          scheduledAt: new Date(scheduledAt).toISOString(),
          maxRetries: 0,
        },
      ],
      1,
    );
    const [hit] = await target.waitForHits(1, { pathPrefix: path, timeoutMs: 30_000 });
    samples.push(hit!.receivedAt.getTime() - scheduledAt);
    if ((index + 1) % 25 === 0) options.log(`${index + 1}/${options.samples} lone tasks, p99 so far ${percentile(samples, 99)} ms`);
  }
  return { samples, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), maxMs: Math.max(...samples) };
}
