export { API_KEY_SCOPES, ApiKey, CreateApiKeyBody, CreatedApiKey } from './api-keys.js';
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
export { TaskNotification, TaskNotificationsQuery } from './notifications.js';
export { AttemptCounts, MAX_TIMELINE_BUCKETS, Stats, StatsQuery, Timeline, TimelineQuery } from './stats.js';
export { StringEnum } from './string-enum.js';
export {
  BulkActionBody,
  BulkActionResponse,
  Callbacks,
  CreateTaskBody,
  CreateTaskHeaders,
  HttpMethod,
  RetryFailedBody,
  RetryFailedResponse,
  TASK_SORTS,
  Task,
  TaskListQuery,
  TaskStatus,
  TaskStatusResponse,
  UpdateTaskBody,
} from './tasks.js';
export {
  ChangePasswordBody,
  CredentialsBody,
  LoginBody,
  ManagedUser,
  Session,
  SigningSecret,
  UpdateUserBody,
  USER_ROLES,
  User,
  UserListQuery,
} from './users.js';
export { SchedulePreviewQuery, ScheduleOccurrence, ScheduleOccurrences, TaskSchedulePreviewQuery } from './schedules.js';
