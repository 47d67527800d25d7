import { Badge, Pagination, Stack, Table, Text, Title } from '@mantine/core';
import type { TaskNotification } from '@punctual/client';
import { useId } from 'react';
import { DateTime } from './date-time';
import { LoadError, Loading, type PagedQueryProps } from './query-state';

const STATUS_COLORS = { pending: 'yellow', sent: 'green', failed: 'red' } as const;

interface NotificationListProps extends PagedQueryProps {
  notifications: TaskNotification[] | undefined;
}

/** The emails and callbacks the task's runs asked for, with how their delivery went. */
export function NotificationList({ notifications, total, page, pageSize, onPage, error, loading }: NotificationListProps) {
  const headingId = useId();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <section aria-labelledby={headingId}>
      <Title order={2} size="h3" id={headingId} mb="sm">
        Notifications
      </Title>
      {loading ? (
        <Loading label="Loading notifications" />
      ) : error && !notifications ? (
        <LoadError error={error} title="Could not load the notifications" />
      ) : !notifications || notifications.length === 0 ? (
        <Text size="sm" c="dimmed">
          No email or callback sent for this task yet.
        </Text>
      ) : (
        <Stack gap="sm">
          <Table.ScrollContainer minWidth={560}>
            <Table verticalSpacing="xs" fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>To</Table.Th>
                  <Table.Th>Delivery</Table.Th>
                  <Table.Th>When</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {notifications.map((notification) => (
                  <Table.Tr key={notification.id}>
                    <Table.Td>
                      {notification.event}
                      <Text size="xs" c="dimmed">
                        {notification.channel}
                      </Text>
                    </Table.Td>
                    <Table.Td style={{ wordBreak: 'break-all' }}>{notification.to}</Table.Td>
                    <Table.Td>
                      <Badge color={STATUS_COLORS[notification.status]} variant="light" style={{ textTransform: 'none' }}>
                        {notification.status}
                      </Badge>
                      <Text size="xs" c="dimmed">
                        {notification.attempts} tr{notification.attempts === 1 ? 'y' : 'ies'}
                      </Text>
                      {notification.lastError && (
                        <Text size="xs" c="red.7">
                          {notification.lastError}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={notification.sentAt ?? notification.createdAt} relative />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {pages > 1 && <Pagination total={pages} value={page} onChange={onPage} size="sm" />}
        </Stack>
      )}
    </section>
  );
}
