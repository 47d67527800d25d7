export { stopGracefully, type CloseReason, type GracefulStopOptions } from './graceful-stop.js';
export { onStopSignals, REPEAT_WINDOW_MS, STOP_SIGNALS, type StopSignal, type StopSignalsOptions } from './stop-signals.js';
export { NODE_FLAGS } from './node-flags.js';
export { releaseStartupMemory } from './memory-trim.js';
export { exitOnStartupProblem } from './startup-problem.js';
export { runWhenGone, sendSignal } from './when-gone.js';
