import type { components, operations } from './schema.js';

type Schemas = components['schemas'];
type JsonBody<Operation> = Operation extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;
type JsonAnswer<Operation, Status extends number> = Operation extends {
  responses: { [S in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;

/** The API's shared shapes, by their names in the OpenAPI document. */
export type Task = Schemas['Task'];
export type TaskLog = Schemas['TaskLog'];
export type TaskNotification = Schemas['TaskNotification'];
export type ApiKey = Schemas['ApiKey'];
export type User = Schemas['User'];
export type ManagedUser = Schemas['ManagedUser'];

/** Request bodies and answers that have no name of their own in the document. */
export type CreateTaskBody = JsonBody<operations['createTask']>;
export type UpdateTaskBody = JsonBody<operations['updateTask']>;
export type TaskListQuery = NonNullable<operations['listTasks']['parameters']['query']>;
export type TaskPage = JsonAnswer<operations['listTasks'], 200>;
export type Session = JsonAnswer<operations['login'], 200>;
export type Stats = JsonAnswer<operations['getStats'], 200>;
export type StatsTimeline = JsonAnswer<operations['getStatsTimeline'], 200>;
export type SchedulePreview = JsonAnswer<operations['previewSchedule'], 200>;
export type CreatedApiKey = JsonAnswer<operations['createApiKey'], 201>;
