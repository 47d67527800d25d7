import { unwrap } from '@punctual/client';
import { useQuery } from '@tanstack/react-query';
import { useSession } from './session';

/** A cron expression's next occurrences in a time zone, from the same code that schedules tasks; off while `cron` is empty. */
export function useSchedulePreview(cron: string, timezone: string) {
  const { client } = useSession();
  const query = { cron: cron.trim(), timezone: timezone.trim() || undefined, count: 5 };
  return useQuery({
    queryKey: ['schedules', 'next', query],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/schedules/next', { params: { query }, signal })),
    enabled: query.cron !== '',
    retry: false,
    staleTime: 30_000,
  });
}
