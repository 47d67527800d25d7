import { randomUUID } from 'node:crypto';
import type { Database, Kysely, Scope } from '@punctual/db';
import { createTestEnvironment, type TestEnvironment } from '@punctual/testing';
import { type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_ATTEMPTS, lostAttemptsQuery, RECORD_ATTEMPTS, RECORD_ATTEMPTS_NOTIFYING } from '../src/attempts.js';
import type { PreparedStatement } from '../src/connection.js';
import { statsQueries } from '../src/stats.js';
import { taskLogListQueries } from '../src/task-logs.js';
import { executePrepared } from '../src/connection.js';
import { INSERT_TASKS_WITHIN_QUOTA, batchInsertValues, type BatchedTaskRow } from '../src/task-batch-insert.js';
import { countFailedPageQuery, redriveFailedPageQuery, type FailedTaskPageRequest } from '../src/failed-task-redrive.js';
import { taskNotificationListQueries } from '../src/notifications.js';
import { liveTaskCountQuery } from '../src/task-quota.js';
import {
  pageWithTotal,
  scheduledTasksQuery,
  searchTerms,
  searchTrigramFrequencies,
  taskListQueries,
  type TaskListQuery,
  type TrigramFrequencies,
} from '../src/tasks.js';

/**
 * Every list, search and stats query the app issues is answered from an index, never by reading a whole table:
 * the plans Postgres picks for the very statements the db functions build, over 100k tasks of 50 users and ~130k logs.
 */

const USERS = 50;
const TASKS = 100_000;
/** Accounts with a quota bound and no task in this seed. */
const BOUNDS_ONLY_USERS = 20_000;
const DAY_MS = 86_400_000;

let env: TestEnvironment;
let alice: string;
let bob: string;
let alicesTask: string;
/** The trigram statistics listTasks reads (ANALYZE of task_search), as it passes them to taskListQueries. */
let frequencies: TrigramFrequencies;

beforeAll(async () => {
  env = await createTestEnvironment();
  await seed(env.db);
  const { rows } = await sql<{ user_id: string; id: string }>`
    SELECT user_id, id FROM tasks WHERE user_id = (SELECT id FROM users ORDER BY email LIMIT 1) LIMIT 1`.execute(env.db);
  alice = rows[0]!.user_id;
  const { rows: others } = await sql<{ id: string }>`SELECT id FROM users ORDER BY email OFFSET 1 LIMIT 1`.execute(env.db);
  bob = others[0]!.id;
  alicesTask = rows[0]!.id;
  frequencies = await searchTrigramFrequencies(env.db);
});

afterAll(async () => env?.cleanup());

/**
 * 50 users with 2,000 tasks each, spread over every status, ten tags, a few words and ~1,000 hosts, created over the
 * last 35 days; one or two finished attempts per task (a quarter failed), some attempts of running tasks in flight.
 */
async function seed(db: Kysely<Database>): Promise<void> {
  // Filling 14 indexes entry by entry takes several times longer than building them after the load, so the indexes
  // are dropped for it and recreated from their own definitions: the plans below are those of the migrated schema.
  const { rows: indexes } = await sql<{ name: string; definition: string }>`
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i
    WHERE i.indrelid IN ('tasks'::regclass, 'task_tags'::regclass, 'task_search'::regclass, 'task_logs'::regclass)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`.execute(db);
  for (const { name } of indexes) await sql`DROP INDEX ${sql.id(name)}`.execute(db);

  await sql`
    INSERT INTO users (email, password_hash)
    SELECT 'user' || lpad(i::text, 2, '0') || '@example.com', 'x' FROM generate_series(1, ${USERS}::int) i`.execute(db);
  await sql`
    INSERT INTO tasks (user_id, name, description, url, method, headers, run_id, max_retries, backoff, timeout_ms, notify,
                       status, next_run_at, tags, created_at, last_run_at)
    SELECT u.ids[1 + i % ${USERS}::int],
           'job ' || i || ' ' || (ARRAY['billing', 'reports', 'export', 'sync', 'cleanup', 'digest', 'invoice', 'backup'])[1 + i % 8],
           CASE WHEN i % 3 = 0 THEN 'nightly run of ' || md5(i::text) END,
           'https://svc' || (i % 997) || '.example.com/hooks/' || i,
           'POST', '{"content-type": "application/json"}', gen_random_uuid(), 3,
           '{"type": "exponential", "delayMs": 10000, "maxDelayMs": 3600000, "jitter": false}', 10000,
           '{"onFailure": true, "onRetry": false}',
           (ARRAY['pending', 'pending', 'pending', 'completed', 'completed', 'completed', 'failed', 'cancelled', 'paused',
                  'retrying', 'running'])[1 + i % 11],
           CASE WHEN i % 11 BETWEEN 3 AND 7 THEN NULL ELSE now() + (i % 10000) * interval '1 minute' END,
           ARRAY[(ARRAY['prod', 'staging', 'dev', 'billing', 'ops', 'eu', 'us', 'nightly', 'hourly', 'critical'])[1 + i % 10]],
           now() - (${TASKS}::int - i) * interval '30 seconds',
           -- Finished tasks' last attempt, a minute after their creation (re-drive pages by it).
           CASE WHEN i % 11 BETWEEN 3 AND 7 THEN now() - (${TASKS}::int - i) * interval '30 seconds' + interval '1 minute' END
    FROM generate_series(1, ${TASKS}::int) i, (SELECT array_agg(id ORDER BY email) AS ids FROM users) u`.execute(db);
  await sql`
    INSERT INTO task_logs (task_id, user_id, run_id, attempt, outcome, status_code, duration_ms, response_headers,
                           response_body, scheduled_for, started_at, finished_at, worker_id)
    SELECT t.id, t.user_id, gen_random_uuid(), n,
           CASE WHEN n = 2 AND t.status = 'running' THEN NULL
                WHEN (abs(hashtext(t.id::text)) + n) % 4 = 0 THEN 'failed' ELSE 'succeeded' END,
           200, 20 + abs(hashtext(t.id::text)) % 500, '{"content-type": "text/plain"}', repeat('ok ', 60),
           t.created_at + n * interval '1 minute', t.created_at + n * interval '1 minute',
           t.created_at + n * interval '1 minute' + interval '50 ms', 'worker-1:1'
    FROM tasks t CROSS JOIN generate_series(1, 1 + (abs(hashtext(t.id::text)) % 3 = 0)::int) n`.execute(db);

  // The quota bounds of many accounts (most with no task here; their emails sort after the users above), as creates
  // leave them: a batch must find its users'
  // rows by primary key, not by reading the table.
  await sql`
    INSERT INTO users (email, password_hash)
    SELECT 'x-idle' || i || '@example.com', 'x' FROM generate_series(1, ${BOUNDS_ONLY_USERS}::int) i`.execute(db);
  await sql`INSERT INTO task_quota_bounds (user_id, live_at_most) SELECT id, 0 FROM users`.execute(db);
  // CREATE INDEX takes a SHARE lock, which does not conflict with itself: the builds can run side by side.
  await Promise.all(indexes.map(({ definition }) => sql.raw(definition).execute(db)));
  // Statistics for the planner, and the visibility map that lets it answer from an index alone (autovacuum's job).
  await sql`VACUUM ANALYZE users, tasks, task_tags, task_search, task_logs, task_quota_bounds`.execute(db);
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

interface Explainable {
  explain(format: 'json'): Promise<Array<Record<string, unknown>>>;
}

/** The scans of a statement's plan, e.g. `Index Scan using tasks_created_idx`, `Seq Scan on tasks`. */
async function scansOf(query: Explainable | RawBuilder<unknown>): Promise<string[]> {
  const [result] =
    'explain' in query
      ? await query.explain('json')
      : (await sql<Record<string, unknown>>`EXPLAIN (FORMAT JSON) ${query}`.execute(env.db)).rows;
  const [explained] = result!['QUERY PLAN'] as Array<{ Plan: PlanNode }>;
  const scans: string[] = [];
  const walk = (node: PlanNode) => {
    if (node['Index Name']) scans.push(`${node['Node Type']} using ${node['Index Name']}`);
    else if (node['Relation Name']) scans.push(`${node['Node Type']} on ${node['Relation Name']}`);
    node.Plans?.forEach(walk);
  };
  walk(explained!.Plan);
  return scans;
}

/** EXPLAIN (without running it) of the prepared statement behind a batch of creates. */
function batchInsertExplainable(rows: BatchedTaskRow[]): Explainable {
  const values = batchInsertValues(rows, { maxTasks: 100_000 });
  const statement = { name: 'explain-batch-insert', text: `EXPLAIN (FORMAT JSON) ${INSERT_TASKS_WITHIN_QUOTA.text}` };
  return { explain: async () => executePrepared<Record<string, unknown>>(env.db, statement, values) };
}

function newRow(userId: string): BatchedTaskRow {
  return {
    id: randomUUID(),
    user_id: userId,
    name: 'batched',
    description: null,
    url: 'https://example.com/hook',
    method: 'POST',
    headers: '{}',
    secret_headers: null,
    body: null,
    token: null,
    scheduled_at: new Date(),
    cron: null,
    timezone: 'UTC',
    next_run_at: new Date(),
    run_id: randomUUID(),
    max_retries: 3,
    backoff: '{"type": "fixed", "delayMs": 1000}',
    timeout_ms: 10_000,
    tags: ['ops'],
    notify: '{}',
    callbacks: null,
    success_codes: null,
    retry_on: null,
    flow_control: null,
    misfire: 'once',
    template: false,
  };
}

/**
 * The statements listTasks runs for a list, by role: without `q`, the page and its count as one statement (and the
 * count alone for an empty page past the end); with `q`, the page, then the count; the matches an estimate is asked of.
 */
function listStatements(query: TaskListQuery): Record<string, Explainable | RawBuilder<unknown>> {
  const queries = taskListQueries(env.db, query, frequencies);
  if (query.q !== undefined) return queries;
  return { pageWithTotal: pageWithTotal(queries), total: queries.total, matches: queries.matches };
}

const user = (): Scope => ({ kind: 'user', userId: alice });
const admin = (): Scope => ({ kind: 'admin' });
const adminForUser = (): Scope => ({ kind: 'admin', userId: alice });
const firstPage = { page: 1, limit: 20 };
// A five-day window ten days back: about a seventh of the logs.
const from = () => new Date(Date.now() - 10 * DAY_MS);
const to = () => new Date(Date.now() - 5 * DAY_MS);

/** The statements of a re-drive page (the update, and the dry run's count). */
function redriveStatements(request: Partial<FailedTaskPageRequest> & Pick<FailedTaskPageRequest, 'scope'>) {
  const page: FailedTaskPageRequest = { after: null, limit: 1_000, maxTasksPerUser: 100_000, ...request };
  return { redrive: redriveFailedPageQuery(env.db, page), dryRun: countFailedPageQuery(env.db, page) };
}

interface Shape {
  /** The statements of one request, by role (page and count, or the two stats aggregates). */
  queries: () => Record<string, Explainable | RawBuilder<unknown>>;
  /** Indexes the plan must use: those that exist for this shape. */
  uses?: string[];
  /** Every scan answers from the index alone, never visiting the table. */
  indexOnly?: boolean;
}

const shapes: Record<string, Shape> = {
  'tasks: a user, newest first (the default)': {
    queries: () => listStatements({ scope: user(), sort: '-createdAt', ...firstPage }),
    uses: ['tasks_user_created_idx'],
  },
  'tasks: a user, oldest first, page 3': {
    queries: () => listStatements({ scope: user(), sort: 'createdAt', page: 3, limit: 20 }),
    uses: ['tasks_user_created_idx'],
  },
  'tasks: a user, by status': {
    queries: () => listStatements({ scope: user(), status: 'failed', sort: '-createdAt', ...firstPage }),
    uses: ['tasks_user_status_created_idx'],
  },
  'tasks: a user, by tag': {
    queries: () => listStatements({ scope: user(), tag: 'critical', sort: '-createdAt', ...firstPage }),
    uses: ['task_tags_user_tag_created_idx'],
  },
  'tasks: a user, by tag, page 40': {
    queries: () => listStatements({ scope: user(), tag: 'critical', sort: '-createdAt', page: 40, limit: 20 }),
    uses: ['task_tags_user_tag_created_idx'],
  },
  'tasks: a user, by tag and status': {
    queries: () => listStatements({ scope: user(), tag: 'critical', status: 'pending', sort: '-createdAt', ...firstPage }),
    uses: ['task_tags_user_tag_created_idx'],
  },
  'tasks: a user, by tag, by nextRunAt': {
    queries: () => listStatements({ scope: user(), tag: 'critical', sort: 'nextRunAt', ...firstPage }),
    uses: ['task_tags_user_tag_created_idx'],
  },
  // `svc` and `example` are in every URL: the index is asked for `c42` only, in task_search (migration 0010).
  'tasks: a user, q': {
    queries: () => listStatements({ scope: user(), q: 'svc42.example', sort: '-createdAt', ...firstPage }),
    uses: ['task_search_trgm_idx'],
  },
  // Every trigram common: no index lookup, the user's tasks newest first until a page matches.
  'tasks: a user, q of common trigrams only': {
    queries: () => listStatements({ scope: user(), q: 'example.com/hooks', sort: '-createdAt', ...firstPage }),
    uses: ['tasks_user_created_idx'],
  },
  'tasks: a user, by nextRunAt': {
    queries: () => listStatements({ scope: user(), sort: 'nextRunAt', ...firstPage }),
    uses: ['tasks_user_next_run_idx'],
  },
  'tasks: a user, by -nextRunAt': {
    queries: () => listStatements({ scope: user(), sort: '-nextRunAt', ...firstPage }),
    uses: ['tasks_user_next_run_idx'],
  },
  'tasks: an admin, everyone, newest first': {
    queries: () => listStatements({ scope: admin(), sort: '-createdAt', ...firstPage }),
    uses: ['tasks_created_idx'],
  },
  'tasks: an admin, everyone, by nextRunAt': {
    queries: () => listStatements({ scope: admin(), sort: 'nextRunAt', ...firstPage }),
    uses: ['tasks_next_run_idx'],
  },
  'tasks: an admin, everyone, by -nextRunAt': {
    queries: () => listStatements({ scope: admin(), sort: '-nextRunAt', ...firstPage }),
    uses: ['tasks_next_run_idx'],
  },
  'tasks: an admin, everyone, by status': {
    queries: () => listStatements({ scope: admin(), status: 'paused', sort: '-createdAt', ...firstPage }),
    uses: ['tasks_status_created_idx'],
  },
  'tasks: an admin, everyone, by tag': {
    queries: () => listStatements({ scope: admin(), tag: 'critical', sort: '-createdAt', ...firstPage }),
    uses: ['task_tags_tag_created_idx'],
  },
  // A q without a rare run of three letters or digits has no trigram to look up: an admin's count then reads the
  // table (a known gap, in the README); a user's stays within their (user_id, …) indexes.
  'tasks: an admin, everyone, q': {
    queries: () => listStatements({ scope: admin(), q: 'svc42.example', sort: '-createdAt', ...firstPage }),
    uses: ['task_search_trgm_idx'],
  },
  'tasks: an admin, one user': {
    queries: () => listStatements({ scope: adminForUser(), sort: '-createdAt', ...firstPage }),
    uses: ['tasks_user_created_idx'],
  },
  'tasks: a user, live tasks (the quota)': {
    queries: () => ({ count: liveTaskCountQuery(env.db, alice, 100_000) }),
    uses: ['tasks_user_status_created_idx'],
    indexOnly: true,
  },
  // The batched create: no count of the live tasks, only each user's quota bound by its primary key (migration 0009).
  'tasks: a batch of creates (quota bound and insert)': {
    queries: () => ({ insert: batchInsertExplainable([newRow(alice), newRow(alice), newRow(bob)]) }),
    uses: ['task_quota_bounds_pkey'],
  },
  'logs: a user': {
    queries: () => taskLogListQueries(env.db, { scope: user(), ...firstPage }),
    uses: ['task_logs_user_started_covering_idx'],
  },
  'logs: a user, one task': {
    queries: () => taskLogListQueries(env.db, { scope: user(), taskId: alicesTask, ...firstPage }),
    uses: ['task_logs_task_started_idx'],
  },
  'logs: a user, outcome, from and to': {
    queries: () => taskLogListQueries(env.db, { scope: user(), outcome: 'failed', from: from(), to: to(), ...firstPage }),
    uses: ['task_logs_user_started_covering_idx'],
  },
  'logs: an admin, everyone': {
    queries: () => taskLogListQueries(env.db, { scope: admin(), ...firstPage }),
    uses: ['task_logs_started_idx'],
  },
  'logs: an admin, everyone, outcome, from and to': {
    queries: () => taskLogListQueries(env.db, { scope: admin(), outcome: 'failed', from: from(), to: to(), ...firstPage }),
    uses: ['task_logs_started_idx'],
  },
  'logs: an admin, one task': {
    queries: () => taskLogListQueries(env.db, { scope: admin(), taskId: alicesTask, ...firstPage }),
    uses: ['task_logs_task_started_idx'],
  },
  'stats: a user': {
    queries: () => statsQueries(env.db, { scope: user(), since: new Date(Date.now() - DAY_MS) }),
    uses: ['tasks_user_status_created_idx', 'task_logs_user_started_covering_idx'],
    indexOnly: true,
  },
  'stats: an admin, one user': {
    queries: () => statsQueries(env.db, { scope: adminForUser(), since: new Date(Date.now() - DAY_MS) }),
    uses: ['tasks_user_status_created_idx', 'task_logs_user_started_covering_idx'],
    indexOnly: true,
  },
  // The reconciler's walks: one keyset page of tasks due soon, and lapsed leases; both bounded by the partial indexes
  // of waiting and running tasks, however many tasks there are.
  'reconciler: a page of tasks due within the look-ahead': {
    queries: () => ({ page: scheduledTasksQuery(env.db, { before: new Date(Date.now() + 60_000), limit: 1_000 }) }),
    uses: ['tasks_due_idx'],
  },
  'reconciler: the next page, after a cursor': {
    queries: () => ({
      page: scheduledTasksQuery(env.db, {
        before: new Date(Date.now() + 3_600_000),
        after: { nextRunAt: new Date(Date.now() + 600_000).toISOString(), id: alicesTask },
        limit: 1_000,
      }),
    }),
    uses: ['tasks_due_idx'],
  },
  'reconciler: attempts whose lease lapsed': {
    queries: () => ({ lost: lostAttemptsQuery(env.db, { limit: 500 }) }),
    uses: ['tasks_lease_idx'],
  },
  // Re-drive (POST /tasks/retry-failed): each page one statement over the partial indexes of failed one-off tasks.
  'retry-failed: a user, a window': {
    queries: () => redriveStatements({ scope: user(), since: from(), until: to() }),
    uses: ['tasks_failed_user_idx'],
  },
  'retry-failed: a user, the next page': {
    queries: () => redriveStatements({ scope: user(), after: { lastRunAt: from().toISOString(), id: alicesTask } }),
    uses: ['tasks_failed_user_idx'],
  },
  'retry-failed: an admin, everyone': {
    queries: () => redriveStatements({ scope: admin() }),
    uses: ['tasks_failed_idx'],
  },
  'retry-failed: an admin, everyone, a window': {
    queries: () => redriveStatements({ scope: admin(), since: from(), until: to() }),
    uses: ['tasks_failed_idx'],
  },
  'retry-failed: an admin, one user': {
    queries: () => redriveStatements({ scope: adminForUser() }),
    uses: ['tasks_failed_user_idx'],
  },
  // With a tag: the failed index or task_tags, as the planner likes; never the whole table.
  'retry-failed: a user, by tag': {
    queries: () => redriveStatements({ scope: user(), tag: 'critical' }),
  },
  'retry-failed: an admin, everyone, by tag': {
    queries: () => redriveStatements({ scope: admin(), tag: 'critical' }),
  },
  'notifications: one task, newest first': {
    queries: () => taskNotificationListQueries(env.db, { taskId: alicesTask, ...firstPage }),
    uses: ['notifications_task_created_idx'],
  },
  // Counting every row reads every index entry, but only those: the tables, several times wider, are not read.
  'stats: an admin, everyone': {
    queries: () => statsQueries(env.db, { scope: admin(), since: new Date(Date.now() - DAY_MS) }),
    uses: ['tasks_status_created_idx', 'task_logs_started_idx'],
    indexOnly: true,
  },
};

describe('search terms over 100k tasks', () => {
  it('asks the index for the rare trigrams of a pattern only, from the statistics ANALYZE keeps', () => {
    expect(frequencies.get('svc')).toBeGreaterThan(0.5);
    // `c42` is in about one URL in 90 (svc42, svc420…): asked alone; `vc4` (one in 9) not beside it.
    expect(searchTerms('svc42.example', frequencies)).toEqual(['%c42%']);
    expect(searchTerms('example.com/hooks', frequencies)).toEqual([]);
    // Without statistics (before the first ANALYZE): the first three runs.
    expect(searchTerms('svc42.example', new Map())).toEqual(['%svc%', '%vc4%', '%c42%']);
  });
});

describe('query plans over 100k tasks', () => {
  it.each(Object.entries(shapes))('%s: from an index, never a sequential scan', async (_name, shape) => {
    const plans = await Promise.all(Object.entries(shape.queries()).map(async ([role, query]) => ({ role, scans: await scansOf(query) })));
    const summary = JSON.stringify(plans);
    const scans = plans.flatMap((plan) => plan.scans);

    expect(
      scans.filter((scan) => scan.startsWith('Seq Scan')),
      summary,
    ).toEqual([]);
    for (const index of shape.uses ?? [])
      expect(
        scans.some((scan) => scan.endsWith(` ${index}`)),
        `${index}: ${summary}`,
      ).toBe(true);
    if (shape.indexOnly)
      expect(
        scans.every((scan) => scan.startsWith('Index Only Scan')),
        summary,
      ).toBe(true);
  });
});

/** The scans of a prepared statement's generic plan (the one Postgres settles on after a few executions). */
async function genericScansOf(statement: PreparedStatement, parameters: number): Promise<string[]> {
  return env.db.connection().execute(async (connection) => {
    await sql`BEGIN`.execute(connection);
    try {
      await sql`SET LOCAL plan_cache_mode = force_generic_plan`.execute(connection);
      await sql.raw(`PREPARE plan_probe AS ${statement.text}`).execute(connection);
      const nulls = Array.from({ length: parameters }, () => 'NULL').join(', ');
      const { rows } = await sql.raw<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) EXECUTE plan_probe(${nulls})`).execute(connection);
      return scansOf({ explain: () => Promise.resolve(rows) });
    } finally {
      await sql`ROLLBACK`.execute(connection);
      // A prepared statement outlives the transaction: the connection goes back to the pool without it.
      await sql`DEALLOCATE plan_probe`.execute(connection);
    }
  });
}

describe('the attempt statements (group commit) over 100k tasks', () => {
  it.each([
    ['claim', CLAIM_ATTEMPTS, 4],
    ['record', RECORD_ATTEMPTS, 18],
    ['record with notifications', RECORD_ATTEMPTS_NOTIFYING, 29],
  ] as const)('%s: finds each task by its primary key', async (_name, statement, parameters) => {
    const scans = await genericScansOf(statement, parameters);
    expect(
      // The reads of tasks (the update itself, `ModifyTable on tasks`, is not one).
      scans.filter((scan) => !scan.startsWith('ModifyTable') && (scan.endsWith(' on tasks') || scan.includes('using tasks_'))),
      JSON.stringify(scans),
    ).toEqual(['Index Scan using tasks_pkey']);
  });
});
