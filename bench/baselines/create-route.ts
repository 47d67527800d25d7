// Baseline A: the parts of Punctual's `POST /api/v1/tasks` assembled bare: a Fastify 5 route doing one INSERT and one
// BullMQ `queue.add`, no authentication, validation or logging. Not part of the product; `pnpm bench` starts it with
// plain `node` (Node 24 strips the types) and drives it with the same load as Punctual's route.
//
// Environment: DATABASE_URL (the bench's database, whose `baseline_tasks` table the bench created), REDIS_URL,
// QUEUE_PREFIX, QUEUE_NAME. It prints one JSON line, {"event":"listening","url":...}, once it takes requests.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

interface TaskBody {
  name: string;
  url: string;
  method?: string;
  body?: unknown;
  scheduledAt?: string;
}

const env = process.env;
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 });
const connection = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const queue = new Queue(env.QUEUE_NAME ?? 'baseline-a', { connection, prefix: env.QUEUE_PREFIX ?? 'bull' });
const app = Fastify({ logger: false });

// Punctual's path, so both get the very same requests.
app.post('/api/v1/tasks', async (request, reply) => {
  const task = request.body as TaskBody;
  const scheduledAt = task.scheduledAt ? new Date(task.scheduledAt) : new Date();
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO baseline_tasks (name, url, method, body, scheduled_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [task.name, task.url, task.method ?? 'GET', JSON.stringify(task.body ?? null), scheduledAt],
  );
  const id = rows[0]!.id;
  await queue.add(
    'task-attempt',
    { taskId: id, runId: randomUUID(), version: 1 },
    { jobId: `${id}.1`, delay: Math.max(0, scheduledAt.getTime() - Date.now()), removeOnComplete: true },
  );
  return reply.code(201).send({ id });
});

const url = await app.listen({ host: '127.0.0.1', port: Number(env.PORT ?? 0) });
console.log(JSON.stringify({ event: 'listening', url }));

process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => Promise.all([queue.close(), pool.end()]))
    .then(() => connection.quit())
    .finally(() => process.exit(0));
});
