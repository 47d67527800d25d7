import { Alert, Anchor, Card, Grid, Group, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { statusOf } from '../api/api-error';
import { isLive, useTask, useTaskLogs, useTaskNextRuns, useTaskNotifications } from '../api/tasks';
import { BackLink } from '../components/back-link';
import { AttemptTimeline } from '../components/attempt-timeline';
import { NotificationList } from '../components/notification-list';
import { OccurrenceList } from '../components/occurrence-list';
import { LoadError, Loading } from '../components/query-state';
import { StatusBadge } from '../components/status-badge';
import { TaskActions } from '../components/task-actions';
import { TaskSettings } from '../components/task-settings';

const LOG_PAGE_SIZE = 10;
const NOTIFICATION_PAGE_SIZE = 10;

export function TaskPage() {
  const { id = '' } = useParams();
  const task = useTask(id);
  const [logPage, setLogPage] = useState(1);
  const [notificationPage, setNotificationPage] = useState(1);
  // Live as of the last fetch: reading dataUpdatedAt re-renders the page at each one, so a run coming due turns it live.
  const live = task.data !== undefined && isLive(task.data, task.dataUpdatedAt);
  const logs = useTaskLogs(id, logPage, LOG_PAGE_SIZE, live);
  const deliveries = useTaskNotifications(id, notificationPage, NOTIFICATION_PAGE_SIZE, live);
  const next = useTaskNextRuns(task.data);
  useDocumentTitle(task.data ? `${task.data.name} · Punctual` : 'Task · Punctual');

  if (task.isPending) return <Loading label="Loading the task" />;
  // A failed refetch keeps the task on screen with a warning below; a first load that failed, or a task deleted meanwhile,
  // replaces the page.
  if (!task.data || statusOf(task.error) === 404) {
    const missing = statusOf(task.error) === 404 || statusOf(task.error) === 400;
    return (
      <Stack maw={720}>
        <Title order={1}>{missing ? 'Task not found' : 'Task'}</Title>
        {missing ? (
          <Text>
            There is no such task, or it is not yours.{' '}
            <Anchor component={Link} to="/tasks">
              Back to the list
            </Anchor>
          </Text>
        ) : (
          <LoadError error={task.error} onRetry={() => void task.refetch()} title="Could not load the task" />
        )}
      </Stack>
    );
  }

  const current = task.data;
  return (
    <Stack gap="lg" maw={1400}>
      <BackLink to="/tasks">Back to the list</BackLink>
      <Stack gap="xs">
        <Group gap="sm" align="center" wrap="wrap">
          <Title order={1} style={{ wordBreak: 'break-word' }}>
            {current.name}
          </Title>
          <StatusBadge status={current.status} size="lg" />
        </Group>
        {current.description && <Text c="dimmed">{current.description}</Text>}
      </Stack>
      {task.isRefetchError && (
        <Alert color="yellow" role="status">
          Could not refresh: showing the task as it was.
        </Alert>
      )}
      <TaskActions task={current} />

      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack gap="lg">
            <Card withBorder padding="md">
              <AttemptTimeline
                logs={logs.data?.data}
                total={logs.data?.total ?? 0}
                page={logPage}
                pageSize={LOG_PAGE_SIZE}
                onPage={setLogPage}
                error={logs.error}
                loading={logs.isPending}
                running={current.status === 'running'}
              />
            </Card>
            <Card withBorder padding="md">
              <NotificationList
                notifications={deliveries.data?.data}
                total={deliveries.data?.total ?? 0}
                page={notificationPage}
                pageSize={NOTIFICATION_PAGE_SIZE}
                onPage={setNotificationPage}
                error={deliveries.error}
                loading={deliveries.isPending}
              />
            </Card>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="lg">
            {current.cron !== null && (
              <Card withBorder padding="md">
                {next.isPending ? (
                  <Loading label="Loading the next occurrences" />
                ) : next.isError ? (
                  <LoadError error={next.error} title="Could not preview the next occurrences" />
                ) : (
                  <OccurrenceList occurrences={next.data.occurrences} headingOrder={2} />
                )}
                <Text size="xs" c="dimmed" mt="xs">
                  Times in {current.timezone}
                  {current.status === 'paused' ? ', as if resumed now' : ''}.
                </Text>
              </Card>
            )}
            <Card withBorder padding="md">
              <Title order={2} size="h3" mb="sm">
                Settings
              </Title>
              <TaskSettings task={current} />
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
