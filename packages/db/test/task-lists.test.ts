import type { Scope } from '@punctual/db';
import { createTestEnvironment, type TestEnvironment } from '@punctual/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_TOTAL_CAP, listTasks, type TaskListQuery, type TaskSort } from '../src/tasks.js';
import { deleteUserWithTasks } from '../src/users.js';

/**
 * Task list pages and totals (migration 0008's task_tags, `EXACT_TOTAL_CAP`): every page is the one the plain query
 * over `tasks` gives, and the total is exact up to the cap, an estimate flagged `totalExact: false` beyond it.
 */

/**
 * Alice's tasks: more than the cap carry `big`, and are `pending`; half of them `odd` and a third `paused` (fewer than the
 * cap). Created in pairs at the same instant, so the id breaks ties.
 */
const BIG = EXACT_TOTAL_CAP + 511;

let env: TestEnvironment;
let alice: string;
let bob: string;

beforeAll(async () => {
  env = await createTestEnvironment();
  const { rows } = await sql<{ id: string }>`
    INSERT INTO users (email, password_hash) VALUES ('alice@example.com', 'x'), ('bob@example.com', 'x') RETURNING id`.execute(env.db);
  [alice, bob] = [rows[0]!.id, rows[1]!.id];
  await sql`
    INSERT INTO tasks (user_id, name, url, method, run_id, max_retries, backoff, timeout_ms, notify, status, next_run_at, tags, created_at)
    SELECT ${alice}::uuid, 'task ' || i, 'https://example.com/' || i, 'POST', gen_random_uuid(), 3, '{"type": "fixed", "delayMs": 1000}',
           10000, '{}', CASE WHEN i % 3 = 0 THEN 'paused' ELSE 'pending' END,
           CASE WHEN i % 7 = 0 THEN NULL ELSE now() + (i % 50) * interval '1 minute' END,
           CASE WHEN i % 2 = 1 THEN ARRAY['big', 'odd', 'big'] ELSE ARRAY['big'] END,
           timestamptz '2026-01-01' + (i / 2) * interval '1 second'
    FROM generate_series(1, ${BIG}::int) i`.execute(env.db);
  // Someone else's tasks with the same tags, which alice's lists never show.
  await sql`
    INSERT INTO tasks (user_id, name, url, method, run_id, max_retries, backoff, timeout_ms, notify, tags)
    SELECT ${bob}::uuid, 'bob ' || i, 'https://example.com/bob', 'GET', gen_random_uuid(), 3, '{"type": "fixed", "delayMs": 1000}',
           10000, '{}', ARRAY['big', 'odd']
    FROM generate_series(1, 5) i`.execute(env.db);
  await sql`ANALYZE tasks, task_tags, task_search`.execute(env.db);
});

afterAll(async () => env?.cleanup());

/**
 * The page as the plain query over `tasks` gives it (the list before task_tags and task_search): the ids, in order, and
 * the count.
 */
async function reference(query: TaskListQuery): Promise<{ ids: string[]; count: number }> {
  const column = query.sort.endsWith('nextRunAt') ? sql.ref('next_run_at') : sql.ref('created_at');
  const direction = query.sort.startsWith('-') ? sql`DESC` : sql`ASC`;
  const where = sql.join(
    [
      sql`true`,
      ...(query.scope.userId === undefined ? [] : [sql`user_id = ${query.scope.userId}`]),
      ...(query.status === undefined ? [] : [sql`status = ${query.status}`]),
      ...(query.tag === undefined ? [] : [sql`tags @> ARRAY[${query.tag}]::text[]`]),
      // A search as the contract says: a case-insensitive substring of the name, the description or the URL.
      ...(query.q === undefined
        ? []
        : [
            sql`(strpos(lower(name), lower(${query.q})) > 0 OR strpos(lower(description), lower(${query.q})) > 0
                OR strpos(lower(url), lower(${query.q})) > 0)`,
          ]),
    ],
    sql` AND `,
  );
  const { rows } = await sql<{ id: string }>`
    SELECT id FROM tasks WHERE ${where} ORDER BY ${column} ${direction}, id ${direction}
    LIMIT ${query.limit} OFFSET ${(query.page - 1) * query.limit}`.execute(env.db);
  const { rows: counted } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM tasks WHERE ${where}`.execute(env.db);
  return { ids: rows.map((row) => row.id), count: counted[0]!.count };
}

const user = (): Scope => ({ kind: 'user', userId: alice });
const page = (filters: Partial<TaskListQuery> & { sort?: TaskSort }): TaskListQuery => ({
  scope: user(),
  sort: '-createdAt',
  page: 1,
  limit: 20,
  ...filters,
});

describe('task list pages', () => {
  it.each<[string, () => TaskListQuery]>([
    ['a tag, newest first', () => page({ tag: 'big' })],
    ['a tag, oldest first, page 7', () => page({ tag: 'big', sort: 'createdAt', page: 7 })],
    ['a tag, page 12 of 100 a page', () => page({ tag: 'big', page: 12, limit: 100 })],
    ['a tag, by nextRunAt', () => page({ tag: 'big', sort: 'nextRunAt', page: 3 })],
    ['a tag, by -nextRunAt', () => page({ tag: 'odd', sort: '-nextRunAt', page: 2 })],
    ['a tag and a status', () => page({ tag: 'odd', status: 'paused', page: 2 })],
    ['a status', () => page({ status: 'pending', page: 4 })],
    ['a tag nobody has', () => page({ tag: 'none' })],
    ["an admin, everyone's tag", () => page({ scope: { kind: 'admin' }, tag: 'odd', sort: 'createdAt' })],
    ["an admin, one user's tag", () => page({ scope: { kind: 'admin', userId: bob }, tag: 'big' })],
    // Searches (task_search, migration 0010): rare and common patterns, a match in the URL only, text that spans the
    // end of the name and the start of the URL (no match), LIKE's wildcards taken literally, and with other filters.
    ['a search', () => page({ q: 'task 1' })],
    ['a search, page 3', () => page({ q: 'TASK 1', page: 3 })],
    ['a search of one task', () => page({ q: 'task 1234' })],
    ['a search in the URL only', () => page({ q: 'example.com/77' })],
    ['a search across two fields', () => page({ q: '7  https' })],
    ['a search with a wildcard', () => page({ q: 'task 1_3' })],
    ['a search that nothing matches', () => page({ q: 'zzzqqq' })],
    ['a search of two letters', () => page({ q: 'k 9', sort: 'nextRunAt' })],
    ['a search and a tag', () => page({ q: 'task 12', tag: 'odd' })],
    ['a search and a status, by -nextRunAt', () => page({ q: 'task 3', status: 'paused', sort: '-nextRunAt' })],
    ["an admin, everyone's search", () => page({ scope: { kind: 'admin' }, q: 'bob 3' })],
    ["an admin, everyone's search of common text", () => page({ scope: { kind: 'admin' }, q: 'example.com', page: 2 })],
  ])('%s: the same tasks in the same order as the plain query', async (_name, build) => {
    const query = build();
    const [listed, expected] = await Promise.all([listTasks(env.db, query), reference(query)]);

    expect(listed.rows.map((row) => row.id)).toEqual(expected.ids);
    if (expected.count <= EXACT_TOTAL_CAP) expect(listed).toMatchObject({ total: expected.count, totalExact: true });
  });
});

describe('task list totals', () => {
  it.each<[string, () => TaskListQuery]>([
    ['a tag', () => page({ tag: 'big' })],
    ['a status', () => page({ status: 'pending' })],
    ['a tag, by nextRunAt', () => page({ tag: 'big', sort: 'nextRunAt' })],
    ['a tag and a status', () => page({ tag: 'big', status: 'pending', page: 2 })],
    ["an admin, everyone's tag", () => page({ scope: { kind: 'admin' }, tag: 'big' })],
  ])('%s, more than the cap: an estimate, flagged, above the cap', async (_name, build) => {
    const query = build();
    const expected = await reference(query);
    expect(expected.count).toBeGreaterThan(EXACT_TOTAL_CAP);

    const listed = await listTasks(env.db, query);

    expect(listed.totalExact).toBe(false);
    expect(Number.isInteger(listed.total)).toBe(true);
    expect(listed.total).toBeGreaterThan(EXACT_TOTAL_CAP);
    // The planner's estimate, with statistics: near the count, not a fixed stand-in.
    expect(Math.abs(listed.total - expected.count)).toBeLessThan(expected.count / 2);
  });

  it.each<[string, () => TaskListQuery]>([
    ['a tag', () => page({ tag: 'odd' })],
    ['a tag, past the end', () => page({ tag: 'odd', page: 40 })],
    ['a tag and a status', () => page({ tag: 'odd', status: 'paused' })],
    ['a status', () => page({ status: 'paused' })],
    ['a tag nobody has', () => page({ tag: 'none' })],
    ["someone else's tag", () => page({ scope: { kind: 'admin', userId: bob }, tag: 'odd' })],
  ])('%s, within the cap: exact', async (_name, build) => {
    const query = build();
    const expected = await reference(query);
    expect(expected.count).toBeLessThanOrEqual(EXACT_TOTAL_CAP);

    expect(await listTasks(env.db, query)).toMatchObject({ total: expected.count, totalExact: true });
  });

  it('gives the exact total on the last page of a list longer than the cap', async () => {
    const last = Math.ceil(BIG / 20);
    const listed = await listTasks(env.db, page({ tag: 'big', page: last }));

    expect(listed.rows).toHaveLength(BIG % 20);
    expect(listed).toMatchObject({ total: BIG, totalExact: true });
  });

  it('never estimates more than an empty page past the end of a list longer than the cap proves', async () => {
    // Statistics from when dave had 300 more tasks than now: the planner's estimate is above the count.
    const { rows } = await sql<{ id: string }>`
      INSERT INTO users (email, password_hash) VALUES ('dave@example.com', 'x') RETURNING id`.execute(env.db);
    const dave: Scope = { kind: 'user', userId: rows[0]!.id };
    await sql`
      INSERT INTO tasks (user_id, name, url, method, run_id, max_retries, backoff, timeout_ms, notify, tags)
      SELECT ${dave.userId}::uuid, 'dave ' || i, 'https://example.com/dave', 'GET', gen_random_uuid(), 3,
             '{"type": "fixed", "delayMs": 1000}', 10000, '{}', ARRAY['stale']
      FROM generate_series(1, ${EXACT_TOTAL_CAP + 400}::int) i`.execute(env.db);
    await sql`ANALYZE task_tags`.execute(env.db);
    await sql`DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE user_id = ${dave.userId} LIMIT 300)`.execute(env.db);
    const count = EXACT_TOTAL_CAP + 100;
    expect((await listTasks(env.db, page({ scope: dave, tag: 'stale' }))).total).toBeGreaterThan(count);

    const listed = await listTasks(env.db, page({ scope: dave, tag: 'stale', page: count + 1, limit: 1 }));

    expect(listed).toEqual({ rows: [], total: count, totalExact: false });
  });
});

describe('task_tags', () => {
  /** task_tags as it should be: one row per distinct tag of each task, with the task's owner and creation time. */
  async function mismatches(): Promise<number> {
    const { rows } = await sql<{ count: number }>`
      WITH expected AS (SELECT DISTINCT id AS task_id, tag, user_id, created_at FROM tasks, unnest(tags) AS tag),
           actual AS (SELECT task_id, tag, user_id, created_at FROM task_tags)
      SELECT count(*)::int AS count FROM ((SELECT * FROM expected EXCEPT ALL SELECT * FROM actual)
                                          UNION ALL (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected)) AS diff`.execute(env.db);
    return rows[0]!.count;
  }

  it('follows creates (one per distinct tag), tag edits, deletes and a deleted user', async () => {
    expect(await mismatches()).toBe(0);

    const { rows: carol } = await sql<{ id: string }>`
      INSERT INTO users (email, password_hash) VALUES ('carol@example.com', 'x') RETURNING id`.execute(env.db);
    const { rows: created } = await sql<{ id: string }>`
      INSERT INTO tasks (user_id, name, url, method, run_id, max_retries, backoff, timeout_ms, notify, tags)
      SELECT ${carol[0]!.id}::uuid, 'carol ' || i, 'https://example.com/carol', 'GET', gen_random_uuid(), 3,
             '{"type": "fixed", "delayMs": 1000}', 10000, '{}', ARRAY['x', 'y', 'x']
      FROM generate_series(1, 3) i RETURNING id`.execute(env.db);
    expect(await mismatches()).toBe(0);

    await env.db
      .updateTable('tasks')
      .set({ tags: ['y', 'z'] })
      .where('id', '=', created[0]!.id)
      .execute();
    await env.db.updateTable('tasks').set({ tags: [] }).where('id', '=', created[1]!.id).execute();
    // An update that does not set tags (as the worker's) leaves them be.
    await env.db.updateTable('tasks').set({ status: 'paused' }).where('id', '=', created[2]!.id).execute();
    expect(await mismatches()).toBe(0);
    const carolsX = await listTasks(env.db, page({ scope: { kind: 'user', userId: carol[0]!.id }, tag: 'x' }));
    expect(carolsX).toMatchObject({ rows: [{ id: created[2]!.id }], total: 1, totalExact: true });

    await env.db.deleteFrom('tasks').where('id', '=', created[2]!.id).execute();
    expect(await mismatches()).toBe(0);
    // As an admin's DELETE /users/:id does: the tasks in a data-modifying WITH, then the user.
    await deleteUserWithTasks(env.db, carol[0]!.id);
    expect(await mismatches()).toBe(0);
    const { rows: left } = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM task_tags WHERE user_id = ${carol[0]!.id}`.execute(env.db);
    expect(left[0]!.count).toBe(0);
  });
});

describe('task_search', () => {
  /** task_search as it should be: one row per task, with its owner, creation time and searched text. */
  async function mismatches(): Promise<number> {
    const { rows } = await sql<{ count: number }>`
      WITH expected AS (SELECT id AS task_id, user_id, created_at, name || ' ' || coalesce(description, '') || ' ' || url AS body
                          FROM tasks),
           actual AS (SELECT task_id, user_id, created_at, body FROM task_search)
      SELECT count(*)::int AS count FROM ((SELECT * FROM expected EXCEPT ALL SELECT * FROM actual)
                                          UNION ALL (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected)) AS diff`.execute(env.db);
    return rows[0]!.count;
  }

  it('follows creates, renames and edits, deletes and a deleted user; updates of other columns leave it be', async () => {
    expect(await mismatches()).toBe(0);

    const { rows: erin } = await sql<{ id: string }>`
      INSERT INTO users (email, password_hash) VALUES ('erin@example.com', 'x') RETURNING id`.execute(env.db);
    const erinsSearch = (q: string) => listTasks(env.db, page({ scope: { kind: 'user', userId: erin[0]!.id }, q }));
    const { rows: created } = await sql<{ id: string }>`
      INSERT INTO tasks (user_id, name, description, url, method, run_id, max_retries, backoff, timeout_ms, notify)
      SELECT ${erin[0]!.id}::uuid, 'erin ' || i, CASE WHEN i = 2 THEN 'weekly digest' END, 'https://example.com/erin',
             'GET', gen_random_uuid(), 3, '{"type": "fixed", "delayMs": 1000}', 10000, '{}'
      FROM generate_series(1, 3) i RETURNING id`.execute(env.db);
    expect(await mismatches()).toBe(0);
    expect((await erinsSearch('digest')).rows.map((row) => row.id)).toEqual([created[1]!.id]);

    await env.db.updateTable('tasks').set({ name: 'renamed quarterly' }).where('id', '=', created[0]!.id).execute();
    await env.db.updateTable('tasks').set({ description: null }).where('id', '=', created[1]!.id).execute();
    await env.db.updateTable('tasks').set({ url: 'https://hooks.example.org/quarterly' }).where('id', '=', created[2]!.id).execute();
    expect(await mismatches()).toBe(0);
    expect(await erinsSearch('digest')).toMatchObject({ rows: [], total: 0 });
    expect((await erinsSearch('quarterly')).rows.map((row) => row.id).sort()).toEqual([created[0]!.id, created[2]!.id].sort());

    // As an attempt's claim and record do: columns other than the searched ones. The row is not even rewritten.
    const version = () =>
      sql<{ xmin: string }>`SELECT xmin::text FROM task_search WHERE task_id = ${created[0]!.id}`
        .execute(env.db)
        .then((r) => r.rows[0]!.xmin);
    const before = await version();
    await env.db
      .updateTable('tasks')
      .set({ status: 'running', attempts: 1, lease_expires_at: new Date() })
      .where('id', '=', created[0]!.id)
      .execute();
    // An edit that sets the name to what it was changes nothing either.
    await env.db.updateTable('tasks').set({ name: 'renamed quarterly' }).where('id', '=', created[0]!.id).execute();
    expect(await version()).toBe(before);

    await env.db.deleteFrom('tasks').where('id', '=', created[2]!.id).execute();
    expect(await mismatches()).toBe(0);
    expect((await erinsSearch('quarterly')).rows.map((row) => row.id)).toEqual([created[0]!.id]);
    await deleteUserWithTasks(env.db, erin[0]!.id);
    expect(await mismatches()).toBe(0);
    const { rows: left } = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM task_search WHERE user_id = ${erin[0]!.id}`.execute(env.db);
    expect(left[0]!.count).toBe(0);
  });
});
