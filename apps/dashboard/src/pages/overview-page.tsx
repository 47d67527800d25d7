import { AreaChart, DonutChart, LineChart } from '@mantine/charts';
import { Card, Grid, Group, RingProgress, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import type { StatsTimeline } from '@punctual/client';
import { TASK_STATUSES } from '@punctual/scheduling';
import { useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { PERIODS, useStats, useStatsTimeline, type Period } from '../api/overview';
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

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const integer = new Intl.NumberFormat();
const hourLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const dayHourLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit' });

/** Seconds, for the lateness chart; null (no attempt in the bucket) stays a gap. */
const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

/** The timeline as the charts draw it: a label per bucket in the viewer's zone, lateness in seconds. */
function chartPoints(timeline: StatsTimeline) {
  const label = timeline.bucketMinutes >= 1440 ? dayLabel : timeline.bucketMinutes >= 180 ? dayHourLabel : hourLabel;
  return timeline.buckets.map((bucket) => ({
    time: label.format(new Date(bucket.start)),
    succeeded: bucket.succeeded,
    failed: bucket.failed,
    p50: seconds(bucket.lateness.p50Ms),
    p95: seconds(bucket.lateness.p95Ms),
    max: seconds(bucket.lateness.maxMs),
  }));
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
  const [period, setPeriod] = useState<Period>('24h');
  const timeline = useStatsTimeline(period);
  const points = useMemo(() => (timeline.data ? chartPoints(timeline.data) : []), [timeline.data]);
  const attemptsInPeriod = points.reduce((sum, point) => sum + point.succeeded + point.failed, 0);

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
          label="Last 24 h"
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
            <Group justify="space-between" mb="sm" gap="xs">
              <Title order={2} size="h4">
                Attempts over time
              </Title>
              <SegmentedControl
                size="xs"
                aria-label="Period"
                value={period}
                onChange={(value) => setPeriod(value as Period)}
                data={Object.entries(PERIODS).map(([value, { label }]) => ({ value, label }))}
              />
            </Group>
            <TimelineChart timeline={timeline} empty={attemptsInPeriod === 0} period={period}>
              <AreaChart
                h={220}
                data={points}
                dataKey="time"
                type="stacked"
                curveType="monotone"
                withDots={false}
                withLegend
                series={[
                  { name: 'succeeded', label: 'Succeeded', color: 'green.6' },
                  { name: 'failed', label: 'Failed', color: 'red.6' },
                ]}
                aria-label="Attempts over time, succeeded and failed"
              />
            </TimelineChart>
          </Card>
        </Grid.Col>
      </Grid>

      <Card withBorder padding="md">
        <Title order={2} size="h4">
          Lateness
        </Title>
        <Text size="sm" c="dimmed" mb="sm">
          How long after its due time each attempt started: the median, the 95th percentile and the worst, over the last{' '}
          {PERIODS[period].label}.
        </Text>
        <TimelineChart timeline={timeline} empty={attemptsInPeriod === 0} period={period}>
          <LineChart
            h={220}
            data={points}
            dataKey="time"
            unit=" s"
            connectNulls
            withLegend
            valueFormatter={(value) => value.toFixed(value < 1 ? 2 : value < 10 ? 1 : 0)}
            series={[
              { name: 'p50', label: 'Median', color: 'blue.6' },
              { name: 'p95', label: '95th percentile', color: 'violet.6' },
              { name: 'max', label: 'Worst', color: 'orange.6' },
            ]}
            aria-label="Lateness in seconds: median, 95th percentile and worst"
          />
        </TimelineChart>
      </Card>
    </Stack>
  );
}

function TimelineChart({
  timeline,
  empty,
  period,
  children,
}: {
  timeline: ReturnType<typeof useStatsTimeline>;
  empty: boolean;
  period: Period;
  children: ReactNode;
}) {
  if (timeline.isPending) return <Loading label="Loading the timeline" />;
  if (timeline.isError) {
    return <LoadError error={timeline.error} onRetry={() => void timeline.refetch()} title="Could not load the timeline" />;
  }
  if (empty) {
    return (
      <Text size="sm" c="dimmed">
        No attempts in the last {PERIODS[period].label}.
      </Text>
    );
  }
  return children;
}
