import { Pool } from 'undici';
import type { ApiSession } from './api-session.js';

/** A stretch of constant offered load. */
export interface OpenLoopStep {
  perSecond: number;
  seconds: number;
}

/** One create request: when it was due to go out (epoch ms), and its answer. */
export interface SentCreate {
  step: number;
  intendedAt: number;
  answeredAt: number | null;
  status: number | null;
}

export interface OpenLoopResult {
  creates: SentCreate[];
  /** Where each step that ran began and ended (epoch ms), and what it offered. */
  steps: { perSecond: number; startedAt: number; endedAt: number; sent: number }[];
}

/** Outstanding requests beyond this many wait in the client: far more than an API that keeps up ever has. */
const CONNECTIONS = 256;
const TICK_MS = 5;
/** How long answers are waited for once the last request went out; what is still unanswered then is cut off. */
const ANSWER_WAIT_MS = 30_000;

/**
 * `POST /api/v1/tasks` at a fixed rate per step, open loop: request `k` of a step goes out at `start + k / rate`
 * whatever the earlier answers (a slow API is not given a rest, unlike a closed-loop load generator whose connections
 * wait for their answers). `body(index, intendedAt)` makes each task; the intended send time is what latency is
 * measured from. `continueAfter(step, sent)` is asked at the end of each step but the last (with the requests sent so far); false stops the load there. It
 * resolves once every request is answered or failed (at most 30 s after the last went out).
 */
export async function sendOpenLoop(options: {
  session: ApiSession;
  steps: readonly OpenLoopStep[];
  body(index: number, intendedAt: number): object;
  continueAfter?(step: number, sent: number): boolean;
}): Promise<OpenLoopResult> {
  const { session } = options;
  const pool = new Pool(session.baseUrl, { connections: CONNECTIONS, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const creates: SentCreate[] = [];
  const steps: OpenLoopResult['steps'] = [];
  const inFlight = new Set<Promise<void>>();

  const send = (step: number, intendedAt: number): void => {
    const create: SentCreate = { step, intendedAt, answeredAt: null, status: null };
    creates.push(create);
    const body = JSON.stringify(options.body(creates.length - 1, intendedAt));
    const request = pool
      .request({ path: '/api/v1/tasks', method: 'POST', headers: session.headers, body })
      .then(async (response) => {
        await response.body.dump();
        create.status = response.statusCode;
        create.answeredAt = Date.now();
      })
      .catch(() => {
        create.answeredAt = Date.now();
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };

  try {
    let startedAt = Date.now();
    for (const [index, step] of options.steps.entries()) {
      const total = Math.round(step.perSecond * step.seconds);
      const intervalMs = 1_000 / step.perSecond;
      let sent = 0;
      while (sent < total) {
        const now = Date.now();
        while (sent < total && startedAt + sent * intervalMs <= now) {
          send(index, Math.round(startedAt + sent * intervalMs));
          sent += 1;
        }
        if (sent < total) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
      const endedAt = startedAt + step.seconds * 1_000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, endedAt - Date.now())));
      steps.push({ perSecond: step.perSecond, startedAt, endedAt, sent });
      startedAt = endedAt;
      if (index < options.steps.length - 1 && options.continueAfter && !options.continueAfter(index, creates.length)) break;
    }
    const answered = (async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([answered, new Promise((resolve) => (timer = setTimeout(resolve, ANSWER_WAIT_MS)))]);
    clearTimeout(timer);
  } finally {
    // Fails what is still waiting (an API far behind the load): those count as unanswered, not as a hung bench.
    await pool.destroy();
    await Promise.all([...inFlight]);
  }
  return { creates, steps };
}
