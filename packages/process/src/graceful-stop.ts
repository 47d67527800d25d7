import closeWithGrace from 'close-with-grace';
import { onStopSignals, STOP_SIGNALS, type StopSignal } from './stop-signals.js';

export interface GracefulStopOptions {
  /** How long `close` may take; past it the process exits 1 anyway. */
  delayMs: number;
  logger: { warn(message: string): void; error(message: unknown): void };
  /** Repeats of the stop signal within this long are one request (default REPEAT_WINDOW_MS). */
  windowMs?: number;
}

/** Why the process is closing: a stop signal, an uncaught error, or neither (the event loop ran dry). */
export interface CloseReason {
  signal?: StopSignal;
  err?: Error;
}

/**
 * The one way an API or worker process stops: `close` runs once — on the first SIGINT/SIGTERM (repeats within the
 * window are the same request), on an uncaught exception or unhandled rejection, or when nothing is left to do — and
 * the process exits 0 once it resolves, 1 after an error, past `delayMs`, or on a stop request after the window.
 * close-with-grace does the closing and the exit codes; `onStopSignals` decides what a signal means.
 */
export function stopGracefully(options: GracefulStopOptions, close: (reason: CloseReason) => Promise<void>): void {
  let signal: StopSignal | undefined;
  let closing = false;
  const closer = closeWithGrace({ delay: options.delayMs, logger: options.logger, skip: [...STOP_SIGNALS] }, async ({ err }) => {
    closing = true;
    await close({ signal, err });
  });
  onStopSignals({
    logger: options.logger,
    windowMs: options.windowMs,
    onStop(received) {
      signal = received;
      // Already closing after an uncaught error: this signal changes nothing.
      if (!closing) closer.close();
    },
    onForce: () => process.exit(1),
  });
}
