export { authenticateUser, bootstrapAdmin, getUser, normalizeEmail, registerUser, type Credentials } from './accounts.js';
export { outboundRequest, runAttempt, type AttemptContext, type AttemptSummary } from './attempt-runner.js';
export * from './errors.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { scopeOf, type Actor, type Logger, type TaskContext } from './task-context.js';
export {
  REDACTED,
  isSensitiveHeader,
  splitHeaders,
  type CreateTaskInput,
  type TaskDefaults,
  type UpdateTaskInput,
} from './task-input.js';
export {
  createTask,
  deleteTask,
  getTask,
  getTaskStatus,
  listLogs,
  listTaskLogsOf,
  listTasks,
  updateTask,
  type TaskListRequest,
  type TaskLogListRequest,
} from './tasks.js';
export * from './views.js';
