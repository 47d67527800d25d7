import { type Kysely, sql } from 'kysely';

/**
 * Attempt slots when the queue backend is Postgres (with Redis they live in Redis; see @punctual/queue's
 * attempt-slots.ts, whose Redis script this function mirrors): USER_CONCURRENCY and flowControl limits shared by
 * every worker. Rows per limit key: `held` (a slot, by request, until its lease ends), `waiting` (a task's place in
 * line, by due time, until it lapses unless asked again) and `start` (a start within a rate's window). UNLOGGED: a crash that empties
 * the table frees every slot at once, which the leases would have done within one attempt's deadline anyway.
 *
 * punctual_acquire_slots takes a slot under every limit or none, under one advisory lock per key, taken in the order
 * given (flow key, then user: never a cycle). It returns limit_index -1 when granted, else the 0-based limit that held
 * the attempt, its place behind the free slots, and the ms until a rate frees a start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE UNLOGGED TABLE attempt_slots (
      key text COLLATE "C" NOT NULL,
      kind text NOT NULL CHECK (kind IN ('held', 'waiting', 'start')),
      holder text COLLATE "C" NOT NULL,
      due_at timestamptz,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (key, kind, holder)
    )`.execute(db);
  await sql`
    CREATE FUNCTION punctual_acquire_slots(
      keys text[], parallelism int[], rate_starts int[], window_ms int[],
      p_holder text, p_due timestamptz, p_lease_ms int, p_ttl_ms int, p_lease text
    ) RETURNS TABLE (limit_index int, behind int, rate_wait_ms int) LANGUAGE plpgsql AS $fn$
    DECLARE
      n int := cardinality(keys);
      t timestamptz := clock_timestamp();
      free bigint;
      rate_left bigint;
      place bigint;
      placed_due timestamptz;
      wait_ms int;
    BEGIN
      FOR i IN 1..n LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('punctual-slots:' || keys[i], 0));
      END LOOP;
      FOR i IN 1..n LOOP
        DELETE FROM attempt_slots s WHERE s.key = keys[i] AND s.expires_at <= t;
        free := 1000000000000;
        IF parallelism[i] >= 0 THEN
          free := parallelism[i] - (SELECT count(*) FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'held');
        END IF;
        wait_ms := 0;
        IF rate_starts[i] >= 0 THEN
          rate_left := rate_starts[i] - (SELECT count(*) FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'start');
          IF rate_left < free THEN
            free := rate_left;
            IF rate_left <= 0 THEN
              SELECT ceil(extract(epoch FROM min(s.expires_at) - t) * 1000)::int + 1 INTO wait_ms
              FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'start';
            END IF;
          END IF;
        END IF;
        place := 0;
        IF free <= 0 OR EXISTS (SELECT 1 FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'waiting') THEN
          INSERT INTO attempt_slots AS s (key, kind, holder, due_at, expires_at)
          VALUES (keys[i], 'waiting', p_holder, p_due, t + p_ttl_ms * interval '1 millisecond')
          ON CONFLICT (key, kind, holder) DO UPDATE SET expires_at = excluded.expires_at
          RETURNING s.due_at INTO placed_due;
          SELECT count(*) INTO place FROM attempt_slots s
          WHERE s.key = keys[i] AND s.kind = 'waiting' AND (s.due_at, s.holder) < (placed_due, p_holder);
        END IF;
        IF place >= free THEN
          DELETE FROM attempt_slots s WHERE s.key = ANY (keys[i + 1:n]) AND s.kind = 'waiting' AND s.holder = p_holder;
          RETURN QUERY SELECT i - 1, (place - greatest(free, 0) + 1)::int, coalesce(wait_ms, 0);
          RETURN;
        END IF;
      END LOOP;
      FOR i IN 1..n LOOP
        INSERT INTO attempt_slots (key, kind, holder, expires_at)
        VALUES (keys[i], 'held', p_lease, t + p_lease_ms * interval '1 millisecond')
        ON CONFLICT (key, kind, holder) DO UPDATE SET expires_at = excluded.expires_at;
        DELETE FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'waiting' AND s.holder = p_holder;
        IF rate_starts[i] >= 0 THEN
          INSERT INTO attempt_slots (key, kind, holder, expires_at)
          VALUES (keys[i], 'start', p_lease, t + window_ms[i] * interval '1 millisecond')
          ON CONFLICT DO NOTHING;
        END IF;
      END LOOP;
      RETURN QUERY SELECT -1, 0, 0;
    END
    $fn$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION punctual_acquire_slots(text[], int[], int[], int[], text, timestamptz, int, int, text)`.execute(db);
  await sql`DROP TABLE attempt_slots`.execute(db);
}
