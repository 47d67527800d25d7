import { AreaChart, DonutChart, LineChart } from '@mantine/charts';
import { Alert, Card, Grid, Group, RingProgress, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import type { TaskLog } from '@punctual/client';
import { TASK_STATUSES } from '@punctual/scheduling';
import { useMemo, type ReactNode } from 'react';
import { Link } from 'react-router';
import { WINDOW_HOURS, useRecentAttempts, useStats } from '../api/overview';
import { formatDuration } from '../components/date-time';
import { Empty, LoadError, Loading } from '../components/query-state';

const STATUS_COLORS: Record<(typeof TASK_STATUSES)[number], string> = {
  pending: 'blue.6',
  running: 'cyan.6',
  retrying: 'orange.6',
  completed: 'green.6',
  failed: 'red.6',
  cancelled: 'gray.5',
  paused: 'yellow.5',
};

const hourLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const integer = new Intl.NumberFormat();

interface HourBucket {
  hour: string;
  succeeded: number;
  failed: number;
  /** Seconds between when attempts were due and when they started: the median and the worst of the hour. */
  medianLateness: number | null;
  maxLateness: number | null;
}

/** The window's attempts per hour, oldest hour first, with each hour's lateness. */
function hourlyBuckets(logs: readonly TaskLog[], now: number): HourBucket[] {
  const lastHour = Math.floor(now / 3_600_000) * 3_600_000;
  const buckets = Array.from({ length: WINDOW_HOURS }, (_, i) => ({
    start: lastHour - (WINDOW_HOURS - 1 - i) * 3_600_000,
    succeeded: 0,
    failed: 0,
    lateness: [] as number[],
  }));
  for (const log of logs) {
    const started = Date.parse(log.startedAt);
    const bucket = buckets[Math.floor((started - buckets[0]!.start) / 3_600_000)];
    if (!bucket) continue;
    bucket[log.outcome] += 1;
    bucket.lateness.push(Math.max(0, started - Date.parse(log.scheduledFor)) / 1000);
  }
  return buckets.map(({ start, succeeded, failed, lateness }) => {
    const sorted = lateness.sort((a, b) => a - b);
    return {
      hour: hourLabel.format(start),
      succeeded,
      failed,
      medianLateness: sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null,
      maxLateness: sorted.length ? sorted[sorted.length - 1]! : null,
    };
  });
}

function StatCard({ label, value, hint, children }: { label: string; value: ReactNode; hint?: ReactNode; children?: ReactNode }) {
  return (
    <Card withBorder padding="md">
      <Group justify="space-between" wrap="nowrap">
        <div>
          <Text size="xs" tt="uppercase" fw={700} c="dimmed">
            {label}
          </Text>
          <Text size="xl" fw={700} mt={4}>
            {value}
          </Text>
          {hint && (
            <Text size="xs" c="dimmed">
              {hint}
            </Text>
          )}
        </div>
        {children}
      </Group>
    </Card>
  );
}

export function OverviewPage() {
  useDocumentTitle('Overview · Punctual');
  const stats = useStats();
  const attempts = useRecentAttempts();
  const buckets = useMemo(() => (attempts.data ? hourlyBuckets(attempts.data.logs, Date.now()) : []), [attempts.data]);

  if (stats.isPending) {
    return (
      <Stack>
        <Title order={1}>Overview</Title>
        <Loading label="Loading the overview" />
      </Stack>
    );
  }
  if (stats.isError) {
    return (
      <Stack>
        <Title order={1}>Overview</Title>
        <LoadError error={stats.error} onRetry={() => void stats.refetch()} title="Could not load the numbers" />
      </Stack>
    );
  }

  const { tasks, executions } = stats.data;
  const byStatus = TASK_STATUSES.map((status) => ({ name: status, value: tasks.byStatus[status], color: STATUS_COLORS[status] }));
  const anyLateness = buckets.some((bucket) => bucket.maxLateness !== null);

  return (
    <Stack gap="lg" maw={1400}>
      <Title order={1}>Overview</Title>
      {tasks.total === 0 && (
        <Empty title="Nothing scheduled yet">
          <Text size="sm" c="dimmed" ta="center">
            Create a task and its attempts, failures and lateness show up here. <Link to="/tasks/new">Create a task</Link>
          </Text>
        </Empty>
      )}
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md">
        <StatCard
          label="Tasks"
          value={integer.format(tasks.total)}
          hint={`${tasks.byStatus.running} running · ${tasks.byStatus.paused} paused`}
        />
        <StatCard
          label="Success rate"
          value={executions.total ? percent.format(executions.successRate) : '—'}
          hint={`of ${integer.format(executions.total)} attempts`}
        >
          <RingProgress
            size={64}
            thickness={7}
            roundCaps
            aria-hidden
            sections={executions.total ? [{ value: executions.successRate * 100, color: 'green' }] : []}
          />
        </StatCard>
        <StatCard
          label={`Last ${WINDOW_HOURS} h`}
          value={`${integer.format(executions.last24h.total)} attempts`}
          hint={`${integer.format(executions.last24h.failed)} failed`}
        />
        <StatCard
          label="Average duration"
          value={executions.avgDurationMs === null ? '—' : formatDuration(executions.avgDurationMs)}
          hint="per finished attempt"
        />
      </SimpleGrid>

      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Card withBorder padding="md" h="100%">
            <Title order={2} size="h4" mb="sm">
              Tasks by status
            </Title>
            {tasks.total === 0 ? (
              <Text size="sm" c="dimmed">
                No tasks yet.
              </Text>
            ) : (
              <Group justify="center" gap="lg" wrap="wrap">
                <DonutChart
                  data={byStatus.filter((slice) => slice.value > 0)}
                  chartLabel={integer.format(tasks.total)}
                  size={160}
                  thickness={24}
                  withTooltip
                />
                <Stack gap={2} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Tasks by status">
                  {byStatus.map((slice) => (
                    <Group key={slice.name} gap="xs" component="li" wrap="nowrap">
                      <span
                        aria-hidden
                        style={{
                          width: 10,
                          height: 10,
                          borderRadius: 2,
                          background: `var(--mantine-color-${slice.color.replace('.', '-')})`,
                        }}
                      />
                      <Text size="sm">
                        {slice.name}: <b>{slice.value}</b>
                      </Text>
                    </Group>
                  ))}
                </Stack>
              </Group>
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Card withBorder padding="md" h="100%">
            <Title order={2} size="h4" mb="sm">
              Attempts per hour
            </Title>
            <HourlyChart attempts={attempts} empty={executions.last24h.total === 0}>
              <AreaChart
                h={220}
                data={buckets}
                dataKey="hour"
                type="stacked"
                curveType="monotone"
                withLegend
                series={[
                  { name: 'succeeded', label: 'Succeeded', color: 'green.6' },
                  { name: 'failed', label: 'Failed', color: 'red.6' },
                ]}
                aria-label="Attempts per hour, succeeded and failed"
              />
            </HourlyChart>
          </Card>
        </Grid.Col>
      </Grid>

      <Card withBorder padding="md">
        <Title order={2} size="h4">
          Lateness
        </Title>
        <Text size="sm" c="dimmed" mb="sm">
          How long after its due time each attempt started, per hour: the median and the worst.
        </Text>
        <HourlyChart attempts={attempts} empty={!anyLateness}>
          <LineChart
            h={220}
            data={buckets}
            dataKey="hour"
            unit=" s"
            connectNulls
            withLegend
            valueFormatter={(value) => value.toFixed(value < 10 ? 2 : 0)}
            series={[
              { name: 'medianLateness', label: 'Median', color: 'blue.6' },
              { name: 'maxLateness', label: 'Worst', color: 'orange.6' },
            ]}
            aria-label="Lateness per hour in seconds, median and worst"
          />
        </HourlyChart>
      </Card>
    </Stack>
  );
}

function HourlyChart({
  attempts,
  empty,
  children,
}: {
  attempts: ReturnType<typeof useRecentAttempts>;
  empty: boolean;
  children: ReactNode;
}) {
  if (attempts.isPending) return <Loading label="Loading the attempts" />;
  if (attempts.isError)
    return <LoadError error={attempts.error} onRetry={() => void attempts.refetch()} title="Could not load the attempts" />;
  if (empty) {
    return (
      <Text size="sm" c="dimmed">
        No attempts in the last {WINDOW_HOURS} hours.
      </Text>
    );
  }
  return (
    <>
      {!attempts.data.complete && (
        <Alert color="gray" mb="sm">
          Drawn from the newest {attempts.data.logs.length} attempts of the last {WINDOW_HOURS} hours.
        </Alert>
      )}
      {children}
    </>
  );
}
