import { type CreateTaskBody, type Task, type TaskListQuery, type UpdateTaskBody, unwrap } from '@punctual/client';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from './session';

/** How often a page refetches what may be changing under it (TanStack Query pauses while the tab is hidden). */
export const LIVE_REFRESH_MS = 3000;

export type TaskStatus = Task['status'];
export type TaskAction = 'run' | 'pause' | 'resume' | 'cancel' | 'retry' | 'reset-retries';
export type BulkAction = 'pause' | 'resume' | 'cancel' | 'delete' | 'run';

/** How long before (and after) its next run a pending task counts as live. */
export const LIVE_WINDOW_MS = 60_000;
/** A list with nothing live on it still refreshes this often, to pick up runs and other sessions' changes. */
export const IDLE_LIST_REFRESH_MS = 30_000;
/** The longest a task page waits, idle, before looking again (setTimeout cannot wait for a monthly cron). */
const IDLE_TASK_REFRESH_MAX_MS = 10 * 60_000;

/**
 * Something is in flight or about to be: a run in progress or being retried, or a pending task whose next run is within
 * LIVE_WINDOW_MS of now (either side: the worker picks a due run up a moment late). Only then do pages poll quickly.
 */
export function isLive(task: Pick<Task, 'status' | 'nextRunAt'>, now = Date.now()): boolean {
  if (task.status === 'running' || task.status === 'retrying') return true;
  if (task.status !== 'pending' || task.nextRunAt === null) return false;
  return Math.abs(Date.parse(task.nextRunAt) - now) <= LIVE_WINDOW_MS;
}

/**
 * When a task page next refetches the task: soon while live; else when the next run comes within the live window (a
 * refetch interval is only recomputed after a fetch); never when nothing is due.
 */
export function taskRefreshMs(task: Pick<Task, 'status' | 'nextRunAt'> | undefined, now = Date.now()): number | false {
  if (!task) return false;
  if (isLive(task, now)) return LIVE_REFRESH_MS;
  if (task.status !== 'pending' || task.nextRunAt === null) return false;
  const untilLive = Date.parse(task.nextRunAt) - LIVE_WINDOW_MS - now;
  // Overdue past the window (the worker is behind): keep looking, slowly.
  if (untilLive <= 0) return IDLE_LIST_REFRESH_MS;
  return Math.min(Math.max(untilLive, LIVE_REFRESH_MS), IDLE_TASK_REFRESH_MAX_MS);
}

/** A list polls quickly only while a row on it is live. */
export function listRefreshMs(rows: readonly Pick<Task, 'status' | 'nextRunAt'>[] | undefined, now = Date.now()): number {
  return rows?.some((task) => isLive(task, now)) ? LIVE_REFRESH_MS : IDLE_LIST_REFRESH_MS;
}

/**
 * The page to go to when the one shown came back empty though tasks remain (its rows were deleted, or others were):
 * the last page that has rows by the count, else (a count that lags) the page before. Null when the page is fine.
 */
export function emptiedPageFallback(page: number, rows: number, total: number, pageSize: number): number | null {
  if (rows > 0 || total === 0 || page <= 1) return null;
  const last = Math.max(1, Math.ceil(total / pageSize));
  return last < page ? last : page - 1;
}

export function useTaskList(query: TaskListQuery) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['tasks', 'list', query],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/tasks', { params: { query }, signal })),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => listRefreshMs(query.state.data?.data),
  });
}

/** One task; `follow: false` (the edit form) never refetches on its own, so nothing changes under the typing. */
export function useTask(id: string, { follow = true }: { follow?: boolean } = {}) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['tasks', 'one', id],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/tasks/{id}', { params: { path: { id } }, signal })),
    refetchInterval: follow ? (query) => taskRefreshMs(query.state.data) : false,
    refetchOnWindowFocus: follow,
    refetchOnReconnect: follow,
  });
}

export function useTaskLogs(id: string, page: number, limit: number, live: boolean) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['tasks', 'one', id, 'logs', page, limit],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/tasks/{id}/logs', { params: { path: { id }, query: { page, limit } }, signal })),
    placeholderData: keepPreviousData,
    refetchInterval: live ? LIVE_REFRESH_MS : false,
  });
}

export function useTaskNotifications(id: string, page: number, limit: number, live: boolean) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['tasks', 'one', id, 'notifications', page, limit],
    queryFn: ({ signal }) =>
      unwrap(client.GET('/api/v1/tasks/{id}/notifications', { params: { path: { id }, query: { page, limit } }, signal })),
    placeholderData: keepPreviousData,
    refetchInterval: live ? LIVE_REFRESH_MS : false,
  });
}

/** A recurring task's next runs, as the scheduler will make them (with DST marks). */
export function useTaskNextRuns(task: Task | undefined) {
  const { client } = useSession();
  const id = task?.id ?? '';
  return useQuery({
    // The task's schedule and state decide the answer: refetch when either changes.
    queryKey: ['tasks', 'one', id, 'next', task?.cron, task?.timezone, task?.status, task?.nextRunAt],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/tasks/{id}/next', { params: { path: { id }, query: { count: 5 } }, signal })),
    enabled: task?.cron != null,
  });
}

/** Keeps every cached view of tasks fresh after a change: the lists, and the task itself when the answer has it. */
function useTasksChanged() {
  const queryClient = useQueryClient();
  return (task?: Task) => {
    if (task) queryClient.setQueryData(['tasks', 'one', task.id], task);
    return queryClient.invalidateQueries({ queryKey: ['tasks'] });
  };
}

export function useTaskAction(id: string) {
  const { client } = useSession();
  const changed = useTasksChanged();
  return useMutation({
    mutationFn: (action: TaskAction) => {
      const params = { params: { path: { id } } };
      switch (action) {
        case 'run':
          return unwrap(client.POST('/api/v1/tasks/{id}/run', params));
        case 'pause':
          return unwrap(client.POST('/api/v1/tasks/{id}/pause', params));
        case 'resume':
          return unwrap(client.POST('/api/v1/tasks/{id}/resume', params));
        case 'cancel':
          return unwrap(client.POST('/api/v1/tasks/{id}/cancel', params));
        case 'retry':
          return unwrap(client.POST('/api/v1/tasks/{id}/retry', params));
        case 'reset-retries':
          return unwrap(client.POST('/api/v1/tasks/{id}/reset-retries', params));
      }
    },
    onSuccess: (task) => changed(task),
  });
}

export function useDeleteTask() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE('/api/v1/tasks/{id}', { params: { path: { id } } })),
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: ['tasks', 'one', id] });
      return queryClient.invalidateQueries({ queryKey: ['tasks', 'list'] });
    },
  });
}

export function useBulkAction() {
  const { client } = useSession();
  const changed = useTasksChanged();
  return useMutation({
    mutationFn: ({ ids, action }: { ids: string[]; action: BulkAction }) =>
      unwrap(client.POST('/api/v1/tasks/bulk', { body: { ids, action } })),
    onSettled: () => changed(),
  });
}

export function useCreateTask() {
  const { client } = useSession();
  const changed = useTasksChanged();
  return useMutation({
    mutationFn: (body: CreateTaskBody) => unwrap(client.POST('/api/v1/tasks', { body })),
    onSuccess: (task) => changed(task),
  });
}

export function useUpdateTask(id: string) {
  const { client } = useSession();
  const changed = useTasksChanged();
  return useMutation({
    mutationFn: (body: UpdateTaskBody) => unwrap(client.PATCH('/api/v1/tasks/{id}', { params: { path: { id } }, body })),
    onSuccess: (task) => changed(task),
  });
}
