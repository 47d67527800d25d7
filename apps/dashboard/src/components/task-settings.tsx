import { Badge, Code, DataList, Group, Text } from '@mantine/core';
import type { Task } from '@punctual/client';
import { useMediaQuery } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { DateTime, formatDuration } from './date-time';

/** A value the API redacts ("[redacted]") is shown as set; a secret is never in a reply. */
const REDACTED = '[redacted]';

function SetOrNot({ set }: { set: boolean }) {
  return (
    <Badge variant="light" color={set ? 'teal' : 'gray'} style={{ textTransform: 'none' }}>
      {set ? 'set' : 'not set'}
    </Badge>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue>{children}</DataList.ItemValue>
    </DataList.Item>
  );
}

function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2);
}

/** Every setting of a task, secrets as "set"/"not set". */
export function TaskSettings({ task }: { task: Task }) {
  const headers = Object.entries(task.headers);
  const { backoff, notify, callbacks, flowControl } = task;
  // On a phone each label goes above its value: side by side, both columns would be too narrow to read.
  const narrow = useMediaQuery('(max-width: 36em)');
  return (
    <DataList size="sm" labelWidth={150} withDivider orientation={narrow ? 'vertical' : 'horizontal'}>
      <Item label="Request">
        <Code style={{ wordBreak: 'break-all' }}>
          {task.method} {task.url}
        </Code>
      </Item>
      {task.description && <Item label="Description">{task.description}</Item>}
      <Item label="Schedule">
        {task.cron ? (
          <>
            <Code>{task.cron}</Code> in {task.timezone} · missed runs: {task.misfire}
          </>
        ) : (
          <>
            once, at <DateTime value={task.scheduledAt} />
          </>
        )}
      </Item>
      <Item label="Next run">
        <DateTime value={task.nextRunAt} />
      </Item>
      <Item label="Last attempt">
        {task.lastRunAt ? (
          <>
            <DateTime value={task.lastRunAt} relative /> · {task.lastOutcome}
            {task.lastStatusCode !== null && ` · HTTP ${task.lastStatusCode}`}
            {/* A failing status is the whole error ("HTTP 500"): already said on the line above. */}
            {task.lastError && task.lastError !== `HTTP ${task.lastStatusCode}` && (
              <Text size="sm" c="red.7">
                {task.lastError}
              </Text>
            )}
          </>
        ) : (
          'none yet'
        )}
      </Item>
      <Item label="Runs finished">
        {task.runCount} · attempts in the current run: {task.attempts} of {1 + task.maxRetries}
      </Item>
      <Item label="Bearer token">
        <SetOrNot set={task.hasToken} />
      </Item>
      <Item label="Headers">
        {headers.length === 0
          ? 'none'
          : headers.map(([name, value]) => (
              <Group key={name} gap={6} wrap="nowrap">
                <Code>{name}</Code>
                {value === REDACTED ? (
                  <SetOrNot set />
                ) : (
                  <Text size="sm" style={{ wordBreak: 'break-all' }}>
                    {value}
                  </Text>
                )}
              </Group>
            ))}
      </Item>
      <Item label="Body">
        {task.body === null || task.body === undefined ? (
          'none'
        ) : (
          <Code block style={{ maxHeight: 200, overflow: 'auto', whiteSpace: 'pre-wrap' }}>
            {bodyText(task.body)}
          </Code>
        )}
      </Item>
      <Item label="Timeout">{formatDuration(task.timeoutMs)}</Item>
      <Item label="Retries">
        up to {task.maxRetries}, {backoff.type} backoff from {formatDuration(backoff.delayMs)} (at most {formatDuration(backoff.maxDelayMs)}
        ){backoff.jitter ? ', with jitter' : ''}
      </Item>
      <Item label="Success codes">{task.successCodes.join(', ')}</Item>
      <Item label="Retried on">{task.retryOn.join(', ')}</Item>
      <Item label="Flow control">
        {flowControl
          ? [
              `key ${flowControl.key}`,
              flowControl.parallelism !== undefined && `${flowControl.parallelism} at once`,
              flowControl.ratePerSecond !== undefined && `${flowControl.ratePerSecond} per second`,
            ]
              .filter(Boolean)
              .join(' · ')
          : 'none'}
      </Item>
      <Item label="Email">
        {[notify.onFailure && 'when a run fails', notify.onRetry && 'on every retry'].filter(Boolean).join(', ') || 'never'}
        {notify.afterConsecutiveFailures !== undefined && `; after ${notify.afterConsecutiveFailures} failed runs in a row`}
        {notify.email ? ` · to ${notify.email}` : ' · to the owner'}
      </Item>
      <Item label="Callbacks">
        {callbacks.onSuccess || callbacks.onFailure ? (
          <>
            {callbacks.onSuccess && <Text size="sm">on success: {callbacks.onSuccess}</Text>}
            {callbacks.onFailure && <Text size="sm">on failure: {callbacks.onFailure}</Text>}
          </>
        ) : (
          'none'
        )}
      </Item>
      <Item label="Templates">{task.template ? 'placeholders filled at each attempt' : 'off'}</Item>
      <Item label="Tags">{task.tags.length ? task.tags.join(', ') : 'none'}</Item>
      <Item label="Created">
        <DateTime value={task.createdAt} />
      </Item>
    </DataList>
  );
}
