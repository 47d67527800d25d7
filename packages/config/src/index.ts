export { EnvSchema, type Env } from './env-schema.js';
export {
  ConfigError,
  loadConfig,
  readConfig,
  readEnvironment,
  type Config,
  type EmailConfig,
  type LogFormat,
  type LogLevel,
  type QueueBackendName,
} from './load-config.js';
export { PUNCTUAL_VERSION } from './version.js';
