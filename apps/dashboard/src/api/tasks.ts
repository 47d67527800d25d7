import { type CreateTaskBody, type Task, type TaskListQuery, type UpdateTaskBody, unwrap } from '@punctual/client';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from './session';

/** How often a page refetches what may be changing under it (TanStack Query pauses while the tab is hidden). */
export const LIVE_REFRESH_MS = 3000;

export type TaskStatus = Task['status'];
export type TaskAction = 'run' | 'pause' | 'resume' | 'cancel' | 'retry' | 'reset-retries';
export type BulkAction = 'pause' | 'resume' | 'cancel' | 'delete' | 'run';

/** A status in which something is due or in flight, so the task page keeps refreshing. */
export function isLive(status: TaskStatus): boolean {
  return status === 'pending' || status === 'running' || status === 'retrying';
}

export function useTaskList(query: TaskListQuery) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['tasks', 'list', query],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/tasks', { params: { query }, signal })),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_REFRESH_MS,
  });
}

export function useTask(id: string) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['tasks', 'one', id],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/tasks/{id}', { params: { path: { id } }, signal })),
    refetchInterval: (query) => (query.state.data && isLive(query.state.data.status) ? LIVE_REFRESH_MS : false),
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
