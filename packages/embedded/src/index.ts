export { DEFAULT_EMBEDDED_PORT, startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
export { EmbeddedPostgresError } from './embedded-postgres-error.js';
export {
  chooseBackends,
  DEFAULT_POSTGRES,
  DEFAULT_REDIS,
  startBackends,
  type BackendChoice,
  type Backends,
  type ChooseOptions,
} from './single-machine.js';
