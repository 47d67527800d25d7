import { Badge, type MantineColor } from '@mantine/core';
import type { Task } from '@punctual/client';

const STATUS_COLORS: Record<Task['status'], MantineColor> = {
  pending: 'blue',
  running: 'cyan',
  retrying: 'orange',
  completed: 'green',
  failed: 'red',
  cancelled: 'gray',
  paused: 'yellow',
};

/** A task's status, as the API names it. */
export function StatusBadge({ status, size = 'md' }: { status: Task['status']; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <Badge color={STATUS_COLORS[status]} variant="light" size={size} style={{ textTransform: 'none' }}>
      {status}
    </Badge>
  );
}

/** An attempt's outcome with its HTTP status code, when there was a response. */
export function OutcomeBadge({ outcome, statusCode }: { outcome: 'succeeded' | 'failed' | null; statusCode?: number | null }) {
  if (!outcome) return <span>—</span>;
  return (
    <Badge color={outcome === 'succeeded' ? 'green' : 'red'} variant="dot" style={{ textTransform: 'none' }}>
      {outcome}
      {statusCode != null ? ` · ${statusCode}` : ''}
    </Badge>
  );
}
