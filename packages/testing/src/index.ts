export * from './target-server.js';
export { withDatabase } from './service-probe.js';
export { createTestEnvironment, type TestEnvironment } from './test-environment.js';
export * from './punctual-process.js';
export * from './server-processes.js';
export { deleteRedisKeys, withPostgresClient } from './server-admin.js';
export { freePort } from './free-port.js';
export { startSilentServer, type SilentServer } from './silent-server.js';
