import { Badge, Button, Group, NativeSelect, Pagination, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue, useDocumentTitle } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import type { ManagedUser } from '@punctual/client';
import { useState } from 'react';
import { messageOf } from '../api/api-error';
import { useSession } from '../api/session';
import { useUpdateUser, useUsers } from '../api/users';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog';
import { DateTime } from '../components/date-time';
import { Empty, LoadError, Loading } from '../components/query-state';

const PAGE_SIZE = 25;

export function UsersPage() {
  useDocumentTitle('Users · Punctual');
  const { isAdmin } = useSession();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [page, setPage] = useState(1);
  const users = useUsers({ page, limit: PAGE_SIZE, q: q || undefined }, isAdmin);
  const [confirming, setConfirming] = useState<ConfirmRequest | null>(null);

  if (!isAdmin) {
    return (
      <Stack>
        <Title order={1}>Users</Title>
        <Text>Only admins manage accounts.</Text>
      </Stack>
    );
  }

  const pages = users.data ? Math.max(1, Math.ceil(users.data.total / PAGE_SIZE)) : 1;
  return (
    <Stack gap="md" maw={1100}>
      <Title order={1}>Users</Title>
      <TextInput
        label="Search"
        placeholder="Part of an email"
        value={search}
        onChange={(event) => {
          setSearch(event.currentTarget.value);
          setPage(1);
        }}
        w={{ base: '100%', xs: 320 }}
      />
      {users.isPending ? (
        <Loading label="Loading users" />
      ) : users.isError ? (
        <LoadError error={users.error} onRetry={() => void users.refetch()} title="Could not load the users" />
      ) : users.data.data.length === 0 ? (
        <Empty title="No account matches" />
      ) : (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Account</Table.Th>
                  <Table.Th>Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {users.data.data.map((user) => (
                  <UserRow key={user.id} user={user} confirm={setConfirming} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {users.data.total} account{users.data.total === 1 ? '' : 's'}
            </Text>
            {pages > 1 && <Pagination total={pages} value={page} onChange={setPage} />}
          </Group>
        </>
      )}
      <ConfirmDialog request={confirming} onClose={() => setConfirming(null)} />
    </Stack>
  );
}

function UserRow({ user, confirm }: { user: ManagedUser; confirm: (request: ConfirmRequest | null) => void }) {
  const { user: me } = useSession();
  const update = useUpdateUser();
  const change = (body: { role?: ManagedUser['role']; disabled?: boolean }, done: string) =>
    update.mutate(
      { id: user.id, ...body },
      {
        onSuccess: () => notifications.show({ color: 'green', message: done }),
        onError: (error) => notifications.show({ color: 'red', title: `Could not change ${user.email}`, message: messageOf(error) }),
        onSettled: () => confirm(null),
      },
    );

  return (
    <Table.Tr>
      <Table.Td fw={500} style={{ wordBreak: 'break-all' }}>
        {user.email}
        {user.id === me.id && (
          <Text span size="xs" c="dimmed">
            {' '}
            (you)
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <NativeSelect
          aria-label={`Role of ${user.email}`}
          size="xs"
          value={user.role}
          disabled={update.isPending}
          onChange={(event) => {
            const role = event.currentTarget.value as ManagedUser['role'];
            change({ role }, `${user.email} is now ${role === 'admin' ? 'an admin' : 'a user'}`);
          }}
          data={[
            { value: 'user', label: 'user' },
            { value: 'admin', label: 'admin' },
          ]}
          w={100}
        />
      </Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          <Badge color={user.disabled ? 'red' : 'green'} variant="light" style={{ textTransform: 'none' }}>
            {user.disabled ? 'disabled' : 'active'}
          </Badge>
          {user.disabled ? (
            <Button
              size="xs"
              variant="default"
              aria-label={`Enable ${user.email}`}
              loading={update.isPending}
              onClick={() => change({ disabled: false }, `${user.email} enabled`)}
            >
              Enable
            </Button>
          ) : (
            <Button
              size="xs"
              variant="light"
              color="red"
              aria-label={`Disable ${user.email}`}
              onClick={() =>
                confirm({
                  title: `Disable ${user.email}?`,
                  message: 'They cannot sign in, and their sessions and API keys stop working at once.',
                  confirmLabel: 'Disable account',
                  onConfirm: () => change({ disabled: true }, `${user.email} disabled`),
                })
              }
            >
              Disable
            </Button>
          )}
        </Group>
      </Table.Td>
      <Table.Td>
        <DateTime value={user.createdAt} relative />
      </Table.Td>
    </Table.Tr>
  );
}
