import { Alert, Stack, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMemo } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useCreateTask, useTask, useUpdateTask } from '../api/tasks';
import { BackLink } from '../components/back-link';
import { LoadError, Loading } from '../components/query-state';
import { refusalOf } from '../components/task-actions';
import { TaskForm } from '../components/task-form';
import { createBodyOf, emptyTaskForm, taskFormOf, updateBodyOf } from '../components/task-form-values';

export function NewTaskPage() {
  useDocumentTitle('New task · Punctual');
  const navigate = useNavigate();
  const create = useCreateTask();
  const initial = useMemo(emptyTaskForm, []);
  return (
    <Stack gap="md" maw={860}>
      <BackLink to="/tasks">Back to the list</BackLink>
      <Title order={1}>New task</Title>
      <TaskForm
        initial={initial}
        submitLabel="Create task"
        cancelTo="/tasks"
        onSubmit={async (values) => {
          const task = await create.mutateAsync(createBodyOf(values));
          notifications.show({ color: 'green', message: `Created “${task.name}”` });
          await navigate(`/tasks/${task.id}`);
        }}
      />
    </Stack>
  );
}

export function EditTaskPage() {
  const { id = '' } = useParams();
  const task = useTask(id, { follow: false });
  const update = useUpdateTask(id);
  const navigate = useNavigate();
  // The form starts from the task as first loaded: live refreshes must not overwrite what is being typed.
  const loaded = task.data !== undefined;
  const initial = useMemo(() => (task.data ? taskFormOf(task.data) : null), [loaded]);
  useDocumentTitle('Edit task · Punctual');

  if (task.isPending) return <Loading label="Loading the task" />;
  // A failed refetch (an invalidation after a change elsewhere) keeps the loaded task: only a first load fails the page.
  if (!task.data || !initial) return <LoadError error={task.error} onRetry={() => void task.refetch()} title="Could not load the task" />;

  const refusal = refusalOf('update', task.data);
  return (
    <Stack gap="md" maw={860}>
      <BackLink to={`/tasks/${id}`}>Back to the task</BackLink>
      <Title order={1}>Edit task</Title>
      {refusal && (
        <Alert color="yellow" role="status">
          This task is {task.data.status} now: changes can be saved while it is pending, retrying or paused ({refusal}).
        </Alert>
      )}
      <TaskForm
        initial={initial}
        hasToken={task.data.hasToken}
        submitLabel="Save changes"
        cancelTo={`/tasks/${id}`}
        onSubmit={async (values) => {
          const body = updateBodyOf(values, initial);
          if (Object.keys(body).length > 0) await update.mutateAsync(body);
          notifications.show({ color: 'green', message: Object.keys(body).length > 0 ? 'Changes saved' : 'Nothing changed' });
          await navigate(`/tasks/${id}`);
        }}
      />
    </Stack>
  );
}
