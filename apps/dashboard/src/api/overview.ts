import type { TaskLog } from '@punctual/client';
import { useQuery } from '@tanstack/react-query';
import { unwrap } from './api-error';
import { useSession } from './session';

/** The window the overview's charts cover, and how many attempts it reads at most to draw them. */
export const WINDOW_HOURS = 24;
const PAGE_SIZE = 100;
const MAX_PAGES = 10;

export function useStats() {
  const { client } = useSession();
  return useQuery({
    queryKey: ['stats'],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/stats', { signal })),
    refetchInterval: 10_000,
  });
}

/** The attempts of the last WINDOW_HOURS, newest first, read a page at a time up to MAX_PAGES × PAGE_SIZE. */
export interface RecentAttempts {
  from: Date;
  logs: TaskLog[];
  /** False when the window holds more attempts than were read: the charts then cover the newest only. */
  complete: boolean;
}

export function useRecentAttempts() {
  const { client } = useSession();
  return useQuery({
    queryKey: ['overview', 'attempts'],
    queryFn: async ({ signal }): Promise<RecentAttempts> => {
      const from = new Date(Date.now() - WINDOW_HOURS * 3_600_000);
      const logs: TaskLog[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const reply = await unwrap(
          client.GET('/api/v1/logs', { params: { query: { from: from.toISOString(), page, limit: PAGE_SIZE } }, signal }),
        );
        logs.push(...reply.data);
        if (logs.length >= reply.total || reply.data.length < PAGE_SIZE) return { from, logs, complete: true };
      }
      return { from, logs, complete: false };
    },
    refetchInterval: 30_000,
  });
}
