import { Badge, Group, List, Text, Title, Tooltip } from '@mantine/core';
import { useId } from 'react';
import { formatRelative } from './date-time';

export interface Occurrence {
  at: string;
  /** The same instant as the zone's wall-clock time, ISO with the zone's offset. */
  local: string;
  dst: 'gap' | 'repeat' | null;
}

// The wall-clock time as the zone reads it: formatted in UTC from the offset-less part of `local`.
const wallClock = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZone: 'UTC',
});

function formatLocal(local: string): string {
  const offset = local.slice(19);
  const wall = new Date(`${local.slice(0, 19)}Z`);
  return Number.isNaN(wall.getTime()) ? local : `${wallClock.format(wall)} (${offset === 'Z' ? 'UTC' : `UTC${offset}`})`;
}

const DST_MARKS = {
  gap: {
    label: 'DST gap: moved forward',
    help: 'This wall-clock time does not exist that night (clocks spring forward): it runs at the first instant after the gap.',
  },
  repeat: {
    label: 'DST repeat: runs once',
    help: 'This wall-clock time happens twice that night (clocks fall back): it runs in the first one only.',
  },
} as const;

/** Upcoming runs as the schedule's zone reads them, DST moves marked; a list under the heading "Next occurrences". */
export function OccurrenceList({ occurrences, headingOrder = 3 }: { occurrences: readonly Occurrence[]; headingOrder?: 2 | 3 | 4 }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId}>
      <Title order={headingOrder} size="h5" id={headingId} mb="xs">
        Next occurrences
      </Title>
      {occurrences.length === 0 ? (
        <Text c="dimmed" size="sm">
          None: this schedule never fires again.
        </Text>
      ) : (
        <List spacing={4} size="sm" listStyleType="none" ml={0} pl={0} aria-labelledby={headingId}>
          {occurrences.map((occurrence) => (
            <List.Item key={occurrence.at}>
              <Group gap="xs" wrap="wrap">
                <Text size="sm" ff="monospace">
                  {formatLocal(occurrence.local)}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatRelative(occurrence.at)}
                </Text>
                {occurrence.dst && (
                  <Tooltip label={DST_MARKS[occurrence.dst].help} multiline w={260}>
                    <Badge
                      color="grape"
                      variant="light"
                      size="sm"
                      tabIndex={0}
                      title={DST_MARKS[occurrence.dst].help}
                      style={{ textTransform: 'none' }}
                    >
                      {DST_MARKS[occurrence.dst].label}
                    </Badge>
                  </Tooltip>
                )}
              </Group>
            </List.Item>
          ))}
        </List>
      )}
    </section>
  );
}
