export {
  createPunctualClient,
  PunctualApiError,
  unwrap,
  type ApiError,
  type PunctualClient,
  type PunctualClientOptions,
} from './create-client.js';
export type * from './shapes.js';
export type { components, operations, paths } from './schema.js';
