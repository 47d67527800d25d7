/** The signals that ask a Punctual process to stop: Ctrl-C in a terminal, and every supervisor's stop. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Stop signals repeated within this long of the first are the same request to stop. One Ctrl-C or one `kill` of a
 * process group reaches a process twice or more: the terminal (or systemd) signals every process in the group, and the
 * runner in front of it (pnpm, tsx, node --watch) relays the signal once more.
 */
export const REPEAT_WINDOW_MS = 5_000;

export interface StopSignalsOptions {
  /** The first SIGINT or SIGTERM: start stopping gracefully. */
  onStop(signal: StopSignal): void;
  /** A stop request after the window: someone means it; stop now. */
  onForce(signal: StopSignal): void;
  logger: { warn(message: string): void; error(message: string): void };
  /** Default REPEAT_WINDOW_MS. */
  windowMs?: number;
}

/**
 * Listens for SIGINT and SIGTERM, as semantics.md asks: a process stops gracefully once, however many times the signal
 * arrives. The first starts the stop; repeats within `windowMs` are the same request (logged once, then ignored); a
 * request after that forces. Returns a function that removes the listeners.
 *
 * Written here rather than configured: close-with-grace treats every signal after the first as "exit now"
 * (`onSecondSignal` only chooses what is logged before its `process.exit(1)`).
 */
export function onStopSignals(options: StopSignalsOptions): () => void {
  const windowMs = options.windowMs ?? REPEAT_WINDOW_MS;
  let firstAt: number | undefined;
  let repeatLogged = false;
  const listener = (signal: StopSignal): void => {
    const now = performance.now();
    if (firstAt === undefined) {
      firstAt = now;
      options.onStop(signal);
    } else if (now - firstAt <= windowMs) {
      if (!repeatLogged) {
        repeatLogged = true;
        options.logger.warn(`${signal} again within ${windowMs} ms: the same request to stop (one after that forces the exit)`);
      }
    } else {
      options.logger.error(`${signal} after the graceful stop began: stopping now`);
      options.onForce(signal);
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, listener);
  };
}
