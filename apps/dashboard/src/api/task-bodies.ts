import type { paths } from '@punctual/client';

/** What `POST /api/v1/tasks` takes. */
export type CreateTaskBody = NonNullable<paths['/api/v1/tasks']['post']['requestBody']>['content']['application/json'];
/** What `PATCH /api/v1/tasks/{id}` takes: the create fields, each optional, nullable where clearable. */
export type UpdateTaskBody = NonNullable<paths['/api/v1/tasks/{id}']['patch']['requestBody']>['content']['application/json'];
