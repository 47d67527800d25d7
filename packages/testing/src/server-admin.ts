import { withRedis } from '@punctual/queue';
import pg from 'pg';

/** Runs `use` with a Postgres client connected to `url`, and closes it. */
export async function withPostgresClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Deletes every key matching `pattern` (SCAN + UNLINK, never KEYS): how a test or bench run removes its queue prefix. */
export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<void> {
  await withRedis(
    redisUrl,
    async (redis) => {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    },
    10_000,
  );
}
