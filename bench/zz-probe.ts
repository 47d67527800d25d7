// Temporary probe (deleted after use).
import { startApi } from '@punctual/testing';
import { registerUser, logIn, timeGets } from './api-session.js';
import { createBenchEnvironment } from './bench-environment.js';
import { measureQueryCost } from './query-cost.js';
import { percentile } from './statistics.js';

const env = await createBenchEnvironment({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres', redisUrl: 'redis://127.0.0.1:6379' });
const api = await startApi({ ...env.processEnv, LOG_LEVEL: process.env.PROBE_LOG ?? 'info' });
try {
  const user = await registerUser(api.url);
  const admin = await logIn(api.url, env.adminEmail, env.adminPassword);
  const r = await measureQueryCost({ pool: env.pool, user, admin, seedTasks: 100000, seedUsers: 50, samples: 30 });
  for (const t of r.timings) console.log(t.name, t.p50Ms.toFixed(1));
  const ids = (await env.pool.query('SELECT id FROM tasks WHERE user_id=$1 LIMIT 1', [user.userId])).rows;
  const s = await timeGets(user, `/api/v1/tasks/${ids[0].id}/status`, 30);
  console.log('status p50', percentile(s, 50).toFixed(1));
  const g = await timeGets(user, `/api/v1/tasks/${ids[0].id}`, 30);
  console.log('get one p50', percentile(g, 50).toFixed(1));
  const l1 = await timeGets(user, `/api/v1/tasks?limit=1`, 30);
  console.log('list limit=1 p50', percentile(l1, 50).toFixed(1));
  const l100 = await timeGets(user, `/api/v1/tasks?limit=100`, 30);
  console.log('list limit=100 p50', percentile(l100, 50).toFixed(1));
  for (const [name, sql, params] of [
    ['user rows', 'SELECT * FROM tasks WHERE user_id=$1 ORDER BY created_at DESC, id DESC LIMIT 20', [user.userId]],
    ['user count', 'SELECT count(*) FROM tasks WHERE user_id=$1', [user.userId]],
    ['admin rows', 'SELECT * FROM tasks ORDER BY created_at DESC, id DESC LIMIT 20', []],
    ['admin count', 'SELECT count(*) FROM tasks', []],
    ['admin page 500', 'SELECT * FROM tasks ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 9980', []],
  ] as const) {
    const plan = await env.pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, [...params]);
    console.log(`--- ${name}\n` + plan.rows.map((row) => row['QUERY PLAN']).join('\n'));
  }
} finally {
  await api.stop();
  await env.cleanup();
}
