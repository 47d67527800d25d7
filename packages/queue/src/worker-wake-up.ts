import type { Redis } from './redis-connection.js';
import type { TasksWorker } from './queue-backend.js';

/**
 * Ends a Redis worker's blocking wait on time. An idle BullMQ worker waits in `BZPOPMIN <marker> <timeout>`, the
 * timeout being how long until the earliest delayed job is due (BullMQ learns it from every fetch). Redis only
 * checks blocked clients' timeouts on its `hz` tick (every 100 ms by default), so a lone delayed job was called up to
 * 100 ms late. Here each wait arms one timer for its own timeout, and when it fires adds the marker BullMQ itself
 * adds when jobs are waiting (`ZADD <marker> 0 "0"`), which wakes a blocked worker at once. Markers are hints to
 * BullMQ: the woken worker runs its fetch (which promotes the delayed jobs now due) and, if nothing is due after
 * all (the job was removed or moved later), blocks again until the next one. With several workers any one of them
 * may take the marker; whichever does promotes the due jobs, and BullMQ marks the rest as waiting for the others.
 *
 * `wakeConnection` is a connection BullMQ does not block on (the worker's own connections are duplicates of it).
 * Redis's `hz` is the operator's setting; this leaves it alone.
 */
export function wakeOnBlockTimeout(worker: TasksWorker, wakeConnection: Redis): void {
  const backend = worker.backend;
  const markerKey = worker.keys.marker;
  if (!markerKey) return;
  const waitForJob = backend.waitForJob.bind(backend);
  const wake = (): void => {
    // A wake that fails (Redis away) leaves the wait to Redis's own timeout, as before.
    wakeConnection.zadd(markerKey, 0, '0').catch(() => {});
  };
  backend.waitForJob = async (blockTimeoutSeconds) => {
    // +1 ms: Node's timers count from the event loop's cached clock, so one set mid-tick may fire a little early, and
    // a wake before the due millisecond finds nothing to promote.
    const timer = setTimeout(wake, blockTimeoutSeconds * 1000 + 1);
    try {
      return await waitForJob(blockTimeoutSeconds);
    } finally {
      clearTimeout(timer);
    }
  };
}
