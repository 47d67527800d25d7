export { runCli } from './run-cli.js';
export { processIo, type CliIo, type OutputStream } from './cli-io.js';
export { CliError, UsageError, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE } from './cli-errors.js';
export { configFilePath, readConfigFile, removeConfigFile, writeConfigFile, type SavedConfig } from './config-file.js';
export { DEFAULT_URL, resolveSettings, type GlobalOptions, type Settings } from './connection.js';
export { buildCreateBody, parseHeaders, type CreateTaskFlags } from './task-body.js';
export { renderKeys, renderLogs, renderTask, renderTaskPage } from './tables.js';
export { formatTime, relativeTime } from './format-time.js';
export { terminalSafe } from './terminal-text.js';
