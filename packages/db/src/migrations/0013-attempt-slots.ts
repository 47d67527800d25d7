import { type Kysely, sql } from 'kysely';

/**
 * Attempt slots when the queue backend is Postgres (with Redis they live in Redis; see @punctual/queue's
 * attempt-slots.ts, whose Redis script this function mirrors): USER_CONCURRENCY and flowControl limits shared by
 * every worker. Rows per limit key: `held` (a slot, by request, until its lease ends), `waiting` (a task's place in
 * line, by due time, until it lapses unless asked again) and `start` (a start within a rate's window). UNLOGGED: a crash that empties
 * the table frees every slot at once, which the leases would have done within one attempt's deadline anyway.
 *
 * punctual_acquire_slot takes a slot under every limit or none (its caller holds the keys' advisory locks). It returns
 * limit_index -1 when granted, else the 0-based limit that held the attempt, its place behind the free slots, and the
 * ms until a rate frees a start. punctual_release_slot gives a request's slots back and names the waiters first in
 * line for the slots now free, to be woken. punctual_acquire_slots and punctual_release_slots do either for a batch.
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
  // A key's line in order (a waiter's place is counted on it, up to the free slots), and what has lapsed.
  await sql`CREATE INDEX attempt_slots_line_idx ON attempt_slots (key, kind, due_at, holder)`.execute(db);
  await sql`CREATE INDEX attempt_slots_expiry_idx ON attempt_slots (key, expires_at)`.execute(db);
  // The slots held per key, kept with the held rows: counting the rows of a busy key would read every row its past
  // attempts left behind (dead until vacuumed), on each request.
  await sql`CREATE UNLOGGED TABLE attempt_slot_counts (key text COLLATE "C" PRIMARY KEY, held integer NOT NULL)`.execute(db);
  await sql`
    CREATE FUNCTION punctual_acquire_slot(
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
      placed boolean[] := array_fill(false, ARRAY[cardinality(keys)]);
      held_now bigint;
      reclaimed bigint;
    BEGIN
      -- The same request again (a batch run again after an error): it holds its slots already.
      IF EXISTS (SELECT 1 FROM attempt_slots s WHERE s.key = keys[1] AND s.kind = 'held' AND s.holder = p_lease) THEN
        RETURN QUERY SELECT -1, 0, 0;
        RETURN;
      END IF;
      FOR i IN 1..n LOOP
        -- Rows past their time count for nothing below; they are cleared now and then rather than on every call.
        -- (Held slots past their lease are reclaimed below, when they are in the way.)
        IF random() < 0.02 THEN
          DELETE FROM attempt_slots s WHERE s.key = keys[i] AND s.kind <> 'held' AND s.expires_at <= t;
        END IF;
        free := 1000000000000;
        IF parallelism[i] >= 0 THEN
          held_now := coalesce((SELECT c.held FROM attempt_slot_counts c WHERE c.key = keys[i]), 0);
          IF held_now >= parallelism[i] THEN
            -- Full: the leases of workers that died holding a slot end now.
            WITH gone AS (DELETE FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'held' AND s.expires_at <= t RETURNING 1)
            SELECT count(*) INTO reclaimed FROM gone;
            IF reclaimed > 0 THEN
              UPDATE attempt_slot_counts c SET held = c.held - reclaimed WHERE c.key = keys[i];
              held_now := held_now - reclaimed;
            END IF;
          END IF;
          free := parallelism[i] - held_now;
        END IF;
        wait_ms := 0;
        IF rate_starts[i] >= 0 THEN
          rate_left := rate_starts[i] - (SELECT count(*) FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'start' AND s.expires_at > t);
          IF rate_left < free THEN
            free := rate_left;
            IF rate_left <= 0 THEN
              SELECT ceil(extract(epoch FROM min(s.expires_at) - t) * 1000)::int + 1 INTO wait_ms
              FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'start' AND s.expires_at > t;
            END IF;
          END IF;
        END IF;
        place := 0;
        IF free <= 0 OR EXISTS (SELECT 1 FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'waiting' AND s.expires_at > t) THEN
          placed[i] := true;
          INSERT INTO attempt_slots AS s (key, kind, holder, due_at, expires_at)
          VALUES (keys[i], 'waiting', p_holder, p_due, t + p_ttl_ms * interval '1 millisecond')
          ON CONFLICT (key, kind, holder) DO UPDATE SET expires_at = excluded.expires_at
          RETURNING s.due_at INTO placed_due;
          -- Counted only as far as it matters (the free slots, and a little for the wait's estimate): a long line costs
          -- each waiter a bounded scan, not one as long as the line.
          SELECT count(*) INTO place FROM (
            SELECT 1 FROM attempt_slots s
            WHERE s.key = keys[i] AND s.kind = 'waiting' AND (s.due_at, s.holder) < (placed_due, p_holder) AND s.expires_at > t
            LIMIT greatest(free, 0) + 100
          ) ahead;
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
        ON CONFLICT (key, kind, holder) DO NOTHING;
        IF FOUND THEN
          INSERT INTO attempt_slot_counts AS c (key, held) VALUES (keys[i], 1)
          ON CONFLICT (key) DO UPDATE SET held = c.held + 1;
        END IF;
        IF placed[i] THEN
          DELETE FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'waiting' AND s.holder = p_holder;
        END IF;
        IF rate_starts[i] >= 0 THEN
          INSERT INTO attempt_slots (key, kind, holder, expires_at)
          VALUES (keys[i], 'start', p_lease, t + window_ms[i] * interval '1 millisecond')
          ON CONFLICT DO NOTHING;
        END IF;
      END LOOP;
      RETURN QUERY SELECT -1, 0, 0;
    END
    $fn$`.execute(db);
  // Many requests in one call (the worker's concurrent attempts, as their claims are): every key of the batch is locked
  // first, in one global order, so two batches never wait on each other in a cycle.
  await sql`
    CREATE FUNCTION punctual_acquire_slots(requests json)
    RETURNS TABLE (request_index int, limit_index int, behind int, rate_wait_ms int) LANGUAGE plpgsql AS $fn$
    DECLARE
      r json;
      k text;
      idx int := 0;
    BEGIN
      FOR k IN SELECT DISTINCT key FROM json_array_elements(requests) q, json_array_elements_text(q -> 'keys') key ORDER BY key LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('punctual-slots:' || k, 0));
      END LOOP;
      FOR r IN SELECT * FROM json_array_elements(requests) LOOP
        RETURN QUERY SELECT idx, a.limit_index, a.behind, a.rate_wait_ms FROM punctual_acquire_slot(
          ARRAY(SELECT json_array_elements_text(r -> 'keys')),
          ARRAY(SELECT json_array_elements_text(r -> 'parallelism')::int),
          ARRAY(SELECT json_array_elements_text(r -> 'rateStarts')::int),
          ARRAY(SELECT json_array_elements_text(r -> 'windowMs')::int),
          r ->> 'holder', (r ->> 'dueAt')::timestamptz, (r ->> 'leaseMs')::int, (r ->> 'ttlMs')::int, r ->> 'lease') a;
        idx := idx + 1;
      END LOOP;
    END
    $fn$`.execute(db);
  await sql`
    CREATE FUNCTION punctual_release_slot(keys text[], parallelism int[], p_lease text)
    RETURNS SETOF text LANGUAGE plpgsql AS $fn$
    DECLARE
      free bigint;
    BEGIN
      WITH gone AS (DELETE FROM attempt_slots s WHERE s.key = ANY (keys) AND s.kind = 'held' AND s.holder = p_lease RETURNING s.key)
      UPDATE attempt_slot_counts c SET held = c.held - 1 FROM gone WHERE c.key = gone.key;
      FOR i IN 1..cardinality(keys) LOOP
        CONTINUE WHEN parallelism[i] < 0
          OR NOT EXISTS (SELECT 1 FROM attempt_slots s WHERE s.key = keys[i] AND s.kind = 'waiting' AND s.expires_at > now());
        free := parallelism[i] - coalesce((SELECT c.held FROM attempt_slot_counts c WHERE c.key = keys[i]), 0);
        CONTINUE WHEN free <= 0;
        RETURN QUERY SELECT s.holder::text FROM attempt_slots s
          WHERE s.key = keys[i] AND s.kind = 'waiting' AND s.expires_at > now() ORDER BY s.due_at, s.holder LIMIT free;
      END LOOP;
    END
    $fn$`.execute(db);
  await sql`
    CREATE FUNCTION punctual_release_slots(requests json) RETURNS SETOF text LANGUAGE plpgsql AS $fn$
    DECLARE
      k text;
    BEGIN
      -- The same locks as a batch of requests, in the same order: the counts are only ever changed under them.
      FOR k IN SELECT DISTINCT key FROM json_array_elements(requests) q, json_array_elements_text(q -> 'keys') key ORDER BY key LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('punctual-slots:' || k, 0));
      END LOOP;
      RETURN QUERY SELECT DISTINCT w FROM json_array_elements(requests) r, punctual_release_slot(
        ARRAY(SELECT json_array_elements_text(r -> 'keys')),
        ARRAY(SELECT json_array_elements_text(r -> 'parallelism')::int),
        r ->> 'lease') w;
    END
    $fn$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION punctual_release_slots(json)`.execute(db);
  await sql`DROP FUNCTION punctual_release_slot(text[], int[], text)`.execute(db);
  await sql`DROP FUNCTION punctual_acquire_slots(json)`.execute(db);
  await sql`DROP FUNCTION punctual_acquire_slot(text[], int[], int[], int[], text, timestamptz, int, int, text)`.execute(db);
  await sql`DROP TABLE attempt_slot_counts`.execute(db);
  await sql`DROP TABLE attempt_slots`.execute(db);
}
