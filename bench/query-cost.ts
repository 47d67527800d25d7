import type pg from 'pg';
import { timeGets, type ApiSession } from './api-session.js';
import { percentile } from './statistics.js';

export interface QueryTiming {
  name: string;
  path: string;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface QueryCostResult {
  /** Rows in `tasks` when timed. */
  tasks: number;
  /** Of them, the user's. */
  userTasks: number;
  seedMs: number;
  timings: QueryTiming[];
}

/**
 * Inserts `seedTasks` tasks spread over `seedUsers` new users and `user` (copies of one task `user` creates through
 * the API, so every row is one the API wrote), vacuums and analyzes as autovacuum would, then times list requests.
 */
export async function measureQueryCost(options: {
  pool: pg.Pool;
  user: ApiSession;
  admin: ApiSession;
  seedTasks: number;
  seedUsers: number;
  samples: number;
}): Promise<QueryCostResult> {
  const { pool, user, admin } = options;
  const seedStarted = Date.now();
  const created = await fetch(`${user.baseUrl}/api/v1/tasks`, {
    method: 'POST',
    headers: user.headers,
    body: JSON.stringify({ name: 'seed template', url: 'https://example.com/hook', scheduledAt: '2099-01-01T00:00:00Z', tags: ['seed'] }),
  });
  if (created.status !== 201) throw new Error(`POST /api/v1/tasks: ${created.status} ${await created.text()}`);
  const template = ((await created.json()) as { id: string }).id;

  await pool.query(
    `INSERT INTO users (email, password_hash)
     SELECT 'bench-seed-' || g || '@example.com', 'not a password hash' FROM generate_series(1, $1::int) AS g`,
    [options.seedUsers],
  );
  // Statuses in the proportions a busy instance might have; created_at one second apart, newest first.
  await pool.query(
    `INSERT INTO tasks (user_id, name, description, url, method, headers, body, scheduled_at, timezone, next_run_at, status,
                        run_id, max_retries, backoff, timeout_ms, run_count, last_run_at, last_outcome, tags, notify, created_at, updated_at)
     SELECT owners.ids[1 + g % array_length(owners.ids, 1)],
            'seed task ' || g, t.description, 'https://example.com/hook/' || g, t.method, t.headers, t.body,
            now() - g * interval '1 second', t.timezone,
            CASE WHEN g % 7 IN (5, 6) THEN now() + (g % 10000) * interval '1 minute' END,
            (ARRAY['completed', 'completed', 'completed', 'failed', 'cancelled', 'paused', 'pending'])[1 + g % 7],
            gen_random_uuid(), t.max_retries, t.backoff, t.timeout_ms,
            CASE WHEN g % 7 < 4 THEN 1 ELSE 0 END,
            CASE WHEN g % 7 < 4 THEN now() - g * interval '1 second' END,
            CASE WHEN g % 7 < 3 THEN 'succeeded' WHEN g % 7 = 3 THEN 'failed' END,
            ARRAY['seed', 'group-' || g % 10], t.notify,
            now() - g * interval '1 second', now() - g * interval '1 second'
       FROM generate_series(1, $1::int) AS g,
            (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE email LIKE 'bench-seed-%' OR id = $2) AS owners,
            (SELECT * FROM tasks WHERE id = $3) AS t`,
    [options.seedTasks, user.userId, template],
  );
  await pool.query('VACUUM ANALYZE tasks, task_tags');
  const counts = await pool.query<{ total: number; mine: number }>(
    'SELECT count(*)::int AS total, count(*) FILTER (WHERE user_id = $1)::int AS mine FROM tasks',
    [user.userId],
  );
  const seedMs = Date.now() - seedStarted;

  const queries: { name: string; session: ApiSession; path: string }[] = [
    { name: 'user, newest first', session: user, path: '/api/v1/tasks?limit=20' },
    { name: 'user, status=failed', session: user, path: '/api/v1/tasks?limit=20&status=failed' },
    { name: 'user, page 50', session: user, path: '/api/v1/tasks?limit=20&page=50' },
    { name: 'admin, newest first', session: admin, path: '/api/v1/tasks?limit=20' },
    { name: 'admin, status=failed', session: admin, path: '/api/v1/tasks?limit=20&status=failed' },
    { name: 'admin, q=hook/123', session: admin, path: '/api/v1/tasks?limit=20&q=hook%2F123' },
    { name: 'admin, sort=nextRunAt', session: admin, path: '/api/v1/tasks?limit=20&sort=nextRunAt' },
    { name: 'admin, page 500', session: admin, path: '/api/v1/tasks?limit=20&page=500' },
  ];
  const timings: QueryTiming[] = [];
  for (const query of queries) {
    const samples = await timeGets(query.session, query.path, options.samples);
    timings.push({
      name: query.name,
      path: query.path,
      p50Ms: percentile(samples, 50),
      p95Ms: percentile(samples, 95),
      maxMs: Math.max(...samples),
    });
  }
  return { tasks: counts.rows[0]!.total, userTasks: counts.rows[0]!.mine, seedMs, timings };
}
