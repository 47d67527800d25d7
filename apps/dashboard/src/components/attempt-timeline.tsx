import { Badge, Code, Group, Pagination, Stack, Text, Timeline, Title } from '@mantine/core';
import type { TaskLog } from '@punctual/client';
import { useId } from 'react';
import { DateTime, formatDuration } from './date-time';
import { Empty, LoadError, Loading, type PagedQueryProps } from './query-state';

interface AttemptTimelineProps extends PagedQueryProps {
  logs: TaskLog[] | undefined;
  /** The task is running: its attempt in flight is not listed yet. */
  running: boolean;
}

/** The task's attempts, newest first: one list item per attempt, with its status code, duration, error and response. */
export function AttemptTimeline({ logs, total, page, pageSize, onPage, error, loading, running }: AttemptTimelineProps) {
  const headingId = useId();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <section aria-labelledby={headingId}>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h3" id={headingId}>
          Attempts
        </Title>
        {total > 0 && (
          <Text size="sm" c="dimmed">
            {total} in all
          </Text>
        )}
      </Group>
      {running && (
        <Text size="sm" c="cyan.7" mb="sm" role="status">
          An attempt is in flight; it appears here when it ends.
        </Text>
      )}
      {loading ? (
        <Loading label="Loading attempts" />
      ) : error && !logs ? (
        <LoadError error={error} title="Could not load the attempts" />
      ) : !logs || logs.length === 0 ? (
        <Empty title="No attempts yet">
          <Text size="sm" c="dimmed" ta="center">
            Each call Punctual makes for this task shows up here, with its response.
          </Text>
        </Empty>
      ) : (
        <Stack gap="md">
          <Timeline bulletSize={22} lineWidth={2} role="list" aria-labelledby={headingId}>
            {logs.map((log) => (
              <Timeline.Item
                key={log.id}
                role="listitem"
                color={log.outcome === 'succeeded' ? 'green' : 'red'}
                bullet={
                  <Text size="xs" fw={700}>
                    {log.attempt}
                  </Text>
                }
                title={<AttemptTitle log={log} />}
              >
                <AttemptDetails log={log} />
              </Timeline.Item>
            ))}
          </Timeline>
          {pages > 1 && <Pagination total={pages} value={page} onChange={onPage} size="sm" />}
        </Stack>
      )}
    </section>
  );
}

function AttemptTitle({ log }: { log: TaskLog }) {
  return (
    <Group gap="xs" wrap="wrap">
      <Text fw={600}>Attempt {log.attempt}</Text>
      <Badge color={log.outcome === 'succeeded' ? 'green' : 'red'} variant="light" style={{ textTransform: 'none' }}>
        {log.outcome}
      </Badge>
      <Badge color="gray" variant="outline" style={{ textTransform: 'none' }}>
        {log.statusCode === null ? 'no response' : `HTTP ${log.statusCode}`}
      </Badge>
      {log.durationMs !== null && (
        <Text size="sm" c="dimmed">
          {formatDuration(log.durationMs)}
        </Text>
      )}
    </Group>
  );
}

function AttemptDetails({ log }: { log: TaskLog }) {
  const lateness = Date.parse(log.startedAt) - Date.parse(log.scheduledFor);
  return (
    <Stack gap={4} mt={4}>
      <Text size="sm" c="dimmed">
        <DateTime value={log.startedAt} /> · due <DateTime value={log.scheduledFor} />
        {lateness >= 1000 ? ` (started ${formatDuration(lateness)} late)` : ''} · run <Code>{log.runId.slice(0, 8)}</Code>
      </Text>
      {log.error && log.error !== `HTTP ${log.statusCode}` && (
        <Text size="sm" c="red.7">
          {log.error}
        </Text>
      )}
      {log.nextRetryAt && (
        <Text size="sm" c="dimmed">
          Next attempt due <DateTime value={log.nextRetryAt} />
        </Text>
      )}
      {log.responseBody !== null && log.responseBody !== '' && (
        <details>
          <summary style={{ cursor: 'pointer' }}>
            <Text span size="sm">
              Response body{log.responseTruncated ? ' (truncated)' : ''}
            </Text>
          </summary>
          <Code block mt={4} style={{ maxHeight: 240, overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {log.responseBody}
          </Code>
        </details>
      )}
    </Stack>
  );
}
