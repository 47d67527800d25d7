export {
  ErrorResponse,
  IdParams,
  NullableTimestamp,
  Paginated,
  PaginationQuery,
  RefTo,
  StringMap,
  Timestamp,
  Uuid,
  type Page,
} from './common.js';
export { AttemptOutcome, LogsQuery, TaskLog, TaskLogsQuery } from './logs.js';
export { AttemptCounts, Stats, StatsQuery } from './stats.js';
export { StringEnum } from './string-enum.js';
export {
  BulkActionBody,
  BulkActionResponse,
  CreateTaskBody,
  CreateTaskHeaders,
  HttpMethod,
  TASK_SORTS,
  Task,
  TaskListQuery,
  TaskStatus,
  TaskStatusResponse,
  UpdateTaskBody,
} from './tasks.js';
export { CredentialsBody, LoginBody, Session, USER_ROLES, User } from './users.js';
