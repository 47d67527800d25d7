import { Anchor, Badge, Button, Checkbox, Group, NativeSelect, Pagination, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue, useDocumentTitle } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import type { Task, TaskListQuery } from '@punctual/client';
import { TASK_STATUSES } from '@punctual/scheduling';
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { messageOf } from '../api/api-error';
import { useSession } from '../api/session';
import { emptiedPageFallback, useBulkAction, useTaskList, type BulkAction, type TaskStatus } from '../api/tasks';
import { useUsers } from '../api/users';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog';
import { DateTime } from '../components/date-time';
import { Empty, LoadError, Loading } from '../components/query-state';
import { OutcomeBadge, StatusBadge } from '../components/status-badge';

const PAGE_SIZE = 20;
const SORTS = [
  { value: '-createdAt', label: 'Newest first' },
  { value: 'createdAt', label: 'Oldest first' },
  { value: 'nextRunAt', label: 'Next run, soonest first' },
  { value: '-nextRunAt', label: 'Next run, latest first' },
] as const;

const BULK_ACTIONS: { action: BulkAction; label: string; done: string; confirm?: string }[] = [
  { action: 'run', label: 'Run selected', done: 'Started' },
  { action: 'pause', label: 'Pause selected', done: 'Paused' },
  { action: 'resume', label: 'Resume selected', done: 'Resumed' },
  { action: 'cancel', label: 'Cancel selected', done: 'Cancelled', confirm: 'Cancel' },
  { action: 'delete', label: 'Delete selected', done: 'Deleted', confirm: 'Delete' },
];

function isStatus(value: string | null): value is TaskStatus {
  return (TASK_STATUSES as readonly (string | null)[]).includes(value);
}

/** The list's filters live in the URL, so a filtered list is a link and Back restores it. */
function useListQuery(myId: string) {
  const [params, setParams] = useSearchParams();
  const status = params.get('status');
  const owner = params.get('owner');
  const sort = SORTS.find((option) => option.value === params.get('sort'))?.value;
  const query: TaskListQuery = {
    page: Math.max(1, Number(params.get('page')) || 1),
    limit: PAGE_SIZE,
    status: isStatus(status) ? status : undefined,
    tag: params.get('tag') || undefined,
    q: params.get('q') || undefined,
    userId: owner === 'me' ? myId : owner || undefined,
    sort,
  };
  const update = (changes: Record<string, string | undefined>) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        // A new filter starts on its first page.
        if (!('page' in changes)) next.delete('page');
        return next;
      },
      { replace: true },
    );
  return { query, params, update };
}

export function TasksPage() {
  useDocumentTitle('Tasks · Punctual');
  const { user, isAdmin } = useSession();
  const { query, params, update } = useListQuery(user.id);
  const tasks = useTaskList(query);
  const users = useUsers({ page: 1, limit: 100 }, isAdmin);
  const bulk = useBulkAction();

  const [search, setSearch] = useState(query.q ?? '');
  const [debouncedSearch] = useDebouncedValue(search.trim(), 300);
  const urlSearch = params.get('q') ?? '';
  useEffect(() => {
    if (debouncedSearch !== urlSearch) update({ q: debouncedSearch || undefined });
    // Only a new search term updates the URL; `update` changes identity on every render.
  }, [debouncedSearch]);
  // The URL changed from elsewhere (Clear filters, Back): the box shows its term. Our own update matches, so no-op.
  useEffect(() => {
    if (urlSearch !== debouncedSearch) setSearch(urlSearch);
  }, [urlSearch]);

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState<ConfirmRequest | null>(null);
  const rows = tasks.data?.data;
  const queryKey = JSON.stringify(query);
  // A selection belongs to the page it was made on.
  useEffect(() => setSelected(new Set()), [queryKey]);
  // Admins see everyone's tasks: each row names its owner (from the first page of accounts, else by id).
  const owners = useMemo(() => new Map(users.data?.data.map((account) => [account.id, account.email])), [users.data]);
  const visibleSelected = useMemo(() => (rows ?? []).filter((task) => selected.has(task.id)), [rows, selected]);

  const filtered = Boolean(query.status || query.tag || query.q || params.get('owner'));
  const pages = tasks.data ? Math.max(1, Math.ceil(tasks.data.total / PAGE_SIZE)) : 1;
  // The page emptied under us (its rows deleted) while tasks remain: show the last page that has rows.
  const fallbackPage = tasks.data ? emptiedPageFallback(query.page ?? 1, tasks.data.data.length, tasks.data.total, PAGE_SIZE) : null;
  useEffect(() => {
    if (fallbackPage !== null) update({ page: fallbackPage === 1 ? undefined : String(fallbackPage) });
  }, [fallbackPage]);

  const runBulk = (action: (typeof BULK_ACTIONS)[number]) => {
    const targets = visibleSelected;
    const names = new Map(targets.map((task) => [task.id, task.name]));
    bulk.mutate(
      { ids: targets.map((task) => task.id), action: action.action },
      {
        onSuccess: ({ results }) => {
          const refused = results.filter((result) => !result.ok);
          const done = results.length - refused.length;
          notifications.show({
            color: refused.length === 0 ? 'green' : done === 0 ? 'red' : 'yellow',
            title: `${action.done} ${done} of ${results.length} task${results.length === 1 ? '' : 's'}`,
            message:
              refused.length === 0
                ? undefined
                : refused.map((result) => `${names.get(result.id) ?? result.id}: ${'message' in result ? result.message : ''}`).join('\n'),
            style: { whiteSpace: 'pre-line' },
          });
          setSelected(new Set());
        },
        onError: (error) => notifications.show({ color: 'red', title: `${action.label} failed`, message: messageOf(error) }),
        onSettled: () => setConfirming(null),
      },
    );
  };

  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const allSelected = rows !== undefined && rows.length > 0 && visibleSelected.length === rows.length;

  return (
    <Stack gap="md" maw={1400}>
      <Group justify="space-between">
        <Title order={1}>Tasks</Title>
        <Button component={Link} to="/tasks/new">
          New task
        </Button>
      </Group>

      <Group gap="sm" align="flex-end" wrap="wrap">
        <TextInput
          label="Search"
          placeholder="Name, description or URL"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          w={{ base: '100%', xs: 240 }}
        />
        <NativeSelect
          label="Status"
          value={query.status ?? ''}
          onChange={(event) => update({ status: event.currentTarget.value || undefined })}
          data={[{ value: '', label: 'Any status' }, ...TASK_STATUSES.map((status) => ({ value: status, label: status }))]}
          w={{ base: 'calc(50% - 6px)', xs: 150 }}
        />
        <TextInput
          label="Tag"
          placeholder="billing"
          defaultValue={query.tag ?? ''}
          key={query.tag ?? ''}
          onBlur={(event) => update({ tag: event.currentTarget.value.trim() || undefined })}
          onKeyDown={(event) => {
            if (event.key === 'Enter') update({ tag: event.currentTarget.value.trim() || undefined });
          }}
          w={{ base: 'calc(50% - 6px)', xs: 150 }}
        />
        <NativeSelect
          label="Sort"
          value={query.sort ?? '-createdAt'}
          onChange={(event) => update({ sort: event.currentTarget.value === '-createdAt' ? undefined : event.currentTarget.value })}
          data={SORTS.map((option) => ({ ...option }))}
          w={{ base: isAdmin ? 'calc(50% - 6px)' : '100%', xs: 200 }}
        />
        {isAdmin && (
          <NativeSelect
            label="Owner"
            value={params.get('owner') ?? ''}
            onChange={(event) => update({ owner: event.currentTarget.value || undefined })}
            data={[
              { value: '', label: 'Everyone' },
              { value: 'me', label: 'Me' },
              ...(users.data?.data ?? []).filter((other) => other.id !== user.id).map((other) => ({ value: other.id, label: other.email })),
            ]}
            w={{ base: 'calc(50% - 6px)', xs: 200 }}
          />
        )}
      </Group>

      <Group gap="xs" wrap="wrap" aria-label="Bulk actions" role="group">
        <Text size="sm" c="dimmed" mr="xs" aria-live="polite">
          {visibleSelected.length === 0 ? 'Select tasks to act on several at once' : `${visibleSelected.length} selected`}
        </Text>
        {BULK_ACTIONS.map((action) => (
          <Button
            key={action.action}
            size="xs"
            variant={action.confirm ? 'light' : 'default'}
            color={action.confirm ? 'red' : undefined}
            disabled={visibleSelected.length === 0}
            // On a phone the buttons wait for a selection instead of taking three rows of the screen.
            display={visibleSelected.length === 0 ? { base: 'none', sm: 'inline-block' } : undefined}
            loading={bulk.isPending && bulk.variables?.action === action.action}
            onClick={() =>
              action.confirm
                ? setConfirming({
                    title: `${action.confirm} ${visibleSelected.length} task${visibleSelected.length === 1 ? '' : 's'}?`,
                    message:
                      action.action === 'delete'
                        ? 'Their schedules, queued runs and attempt logs are removed for good.'
                        : 'Nothing runs for them afterwards; a cancelled task cannot be resumed.',
                    confirmLabel: `${action.confirm} ${visibleSelected.length === 1 ? 'task' : 'tasks'}`,
                    onConfirm: () => runBulk(action),
                  })
                : runBulk(action)
            }
          >
            {action.label}
          </Button>
        ))}
      </Group>

      {tasks.isPending || fallbackPage !== null ? (
        <Loading label="Loading tasks" />
      ) : tasks.isError && !rows ? (
        <LoadError error={tasks.error} onRetry={() => void tasks.refetch()} title="Could not load the tasks" />
      ) : rows && rows.length === 0 ? (
        filtered ? (
          <Empty title="No task matches these filters">
            <Button variant="light" onClick={() => update({ status: undefined, tag: undefined, q: undefined, owner: undefined })}>
              Clear filters
            </Button>
          </Empty>
        ) : (
          <Empty title="No tasks yet">
            <Text c="dimmed" size="sm" ta="center">
              A task is an HTTP call Punctual makes for you, once or on a schedule, retried until it lands.
            </Text>
            <Button component={Link} to="/tasks/new" variant="light" mt="sm">
              Create your first task
            </Button>
          </Empty>
        )
      ) : (
        <>
          {tasks.isError && <LoadError error={tasks.error} title="Could not refresh the tasks" />}
          <Table.ScrollContainer minWidth={760}>
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={40}>
                    <Checkbox
                      aria-label="Select all tasks on this page"
                      checked={allSelected}
                      indeterminate={visibleSelected.length > 0 && !allSelected}
                      onChange={(event) => setSelected(event.currentTarget.checked ? new Set(rows?.map((task) => task.id)) : new Set())}
                    />
                  </Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Next run</Table.Th>
                  <Table.Th>Last outcome</Table.Th>
                  <Table.Th>Tags</Table.Th>
                  {isAdmin && <Table.Th>Owner</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows?.map((task) => (
                  <TaskRow
                    key={task.id}
                    task={task}
                    owner={isAdmin ? (task.userId === user.id ? 'me' : (owners.get(task.userId) ?? task.userId.slice(0, 8))) : undefined}
                    selected={selected.has(task.id)}
                    onSelect={(on) => toggle(task.id, on)}
                  />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between" wrap="wrap">
            <Text size="sm" c="dimmed">
              {tasks.data?.totalExact === false ? 'About ' : ''}
              {tasks.data?.total} task{tasks.data?.total === 1 ? '' : 's'}
            </Text>
            {pages > 1 && (
              <Pagination total={pages} value={query.page} onChange={(page) => update({ page: page === 1 ? undefined : String(page) })} />
            )}
          </Group>
        </>
      )}
      <ConfirmDialog request={confirming} busy={bulk.isPending} onClose={() => setConfirming(null)} />
    </Stack>
  );
}

interface TaskRowProps {
  task: Task;
  /** Shown to admins, who see everyone's tasks. */
  owner: string | undefined;
  selected: boolean;
  onSelect: (on: boolean) => void;
}

function TaskRow({ task, owner, selected, onSelect }: TaskRowProps) {
  return (
    <Table.Tr bg={selected ? 'var(--mantine-color-blue-light)' : undefined}>
      <Table.Td>
        <Checkbox aria-label={`Select ${task.name}`} checked={selected} onChange={(event) => onSelect(event.currentTarget.checked)} />
      </Table.Td>
      <Table.Td maw={360}>
        <Anchor component={Link} to={`/tasks/${task.id}`} fw={500}>
          {task.name}
        </Anchor>
        <Text size="xs" c="dimmed" truncate="end" title={task.url}>
          {task.method} {task.url}
          {task.cron ? ` · ${task.cron}${task.timezone === 'UTC' ? '' : ` (${task.timezone})`}` : ''}
        </Text>
        {/* On a phone the table scrolls sideways: the status and next run come along under the name. */}
        <Group gap="xs" mt={4} hiddenFrom="sm" aria-hidden>
          <StatusBadge status={task.status} size="sm" />
          <Text size="xs" c="dimmed">
            next <NextRun task={task} />
          </Text>
        </Group>
      </Table.Td>
      <Table.Td>
        <StatusBadge status={task.status} size="sm" />
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          <NextRun task={task} />
        </Text>
      </Table.Td>
      <Table.Td>
        <OutcomeBadge outcome={task.lastOutcome} statusCode={task.lastStatusCode} />
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {task.tags.map((tag) => (
            <Badge key={tag} variant="outline" size="sm" color="gray" style={{ textTransform: 'none' }}>
              {tag}
            </Badge>
          ))}
        </Group>
      </Table.Td>
      {owner !== undefined && (
        <Table.Td>
          <Text size="sm" truncate maw={200}>
            {owner}
          </Text>
        </Table.Td>
      )}
    </Table.Tr>
  );
}

/** When a task runs next: a paused task waits for a resume (its stored time is not a promise), an ended one never runs. */
function NextRun({ task }: { task: Task }) {
  if (task.status === 'paused') return <>when resumed</>;
  if (task.status === 'completed' || task.status === 'failed' || task.status === 'cancelled') return <>—</>;
  return <DateTime value={task.nextRunAt} relative />;
}
