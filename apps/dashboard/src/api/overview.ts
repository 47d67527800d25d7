import { unwrap } from '@punctual/client';
import { useQuery } from '@tanstack/react-query';
import { useSession } from './session';

export function useStats() {
  const { client } = useSession();
  return useQuery({
    queryKey: ['stats'],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/stats', { signal })),
    refetchInterval: 10_000,
  });
}

/** The periods the overview's charts offer, each with a bucket width that draws it in 24 to 30 points. */
export const PERIODS = {
  '24h': { label: '24 hours', hours: 24, bucketMinutes: 60 },
  '7d': { label: '7 days', hours: 168, bucketMinutes: 360 },
  '30d': { label: '30 days', hours: 720, bucketMinutes: 1440 },
} as const;
export type Period = keyof typeof PERIODS;

/** Finished attempts per bucket, with how late they started: the API counts them in one grouped scan. */
export function useStatsTimeline(period: Period) {
  const { client } = useSession();
  const { hours, bucketMinutes } = PERIODS[period];
  return useQuery({
    queryKey: ['stats', 'timeline', period],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/stats/timeline', { params: { query: { hours, bucketMinutes } }, signal })),
    refetchInterval: 30_000,
  });
}
