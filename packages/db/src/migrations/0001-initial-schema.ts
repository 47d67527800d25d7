import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL,
      password_hash text NOT NULL,
      role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // Emails are stored lower-cased; the index makes registration races end in one row.
  await sql`CREATE UNIQUE INDEX users_email_key ON users (email)`.execute(db);

  await sql`
    CREATE TABLE tasks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name text NOT NULL,
      description text,
      url text NOT NULL,
      method text NOT NULL CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS')),
      headers jsonb NOT NULL DEFAULT '{}',
      secret_headers text,
      body jsonb,
      token text,
      scheduled_at timestamptz,
      cron text,
      timezone text NOT NULL DEFAULT 'UTC',
      next_run_at timestamptz,
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused')),
      version integer NOT NULL DEFAULT 1,
      run_id uuid NOT NULL,
      max_retries integer NOT NULL CHECK (max_retries BETWEEN 0 AND 25),
      backoff jsonb NOT NULL,
      timeout_ms integer NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      run_count integer NOT NULL DEFAULT 0,
      last_run_at timestamptz,
      last_outcome text CHECK (last_outcome IN ('succeeded', 'failed')),
      last_status_code integer,
      last_error text,
      lease_expires_at timestamptz,
      tags text[] NOT NULL DEFAULT '{}',
      notify jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // List queries: a user's tasks newest first (the default sort), by next run, by status; tags by GIN.
  await sql`CREATE INDEX tasks_user_created_idx ON tasks (user_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX tasks_user_next_run_idx ON tasks (user_id, next_run_at, id)`.execute(db);
  await sql`CREATE INDEX tasks_user_status_created_idx ON tasks (user_id, status, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX tasks_tags_idx ON tasks USING gin (tags)`.execute(db);
  // Work that should be in the queue, by due time: what a repair pass over Redis walks.
  await sql`CREATE INDEX tasks_due_idx ON tasks (next_run_at, id) WHERE status IN ('pending', 'retrying')`.execute(db);
  // Attempts in flight, by lease: how lost workers are found.
  await sql`CREATE INDEX tasks_lease_idx ON tasks (lease_expires_at) WHERE status = 'running'`.execute(db);

  await sql`
    CREATE TABLE task_logs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      run_id uuid NOT NULL,
      attempt integer NOT NULL CHECK (attempt >= 1),
      outcome text CHECK (outcome IN ('succeeded', 'failed')),
      status_code integer,
      duration_ms integer,
      error text,
      response_headers jsonb,
      response_body text,
      response_truncated boolean NOT NULL DEFAULT false,
      scheduled_for timestamptz NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      worker_id text NOT NULL,
      next_retry_at timestamptz
    )`.execute(db);
  // One row per attempt, and at most one success per run, whatever interleaving of workers happens.
  await sql`CREATE UNIQUE INDEX task_logs_run_attempt_key ON task_logs (run_id, attempt)`.execute(db);
  await sql`CREATE UNIQUE INDEX task_logs_run_success_key ON task_logs (run_id) WHERE outcome = 'succeeded'`.execute(db);
  await sql`CREATE INDEX task_logs_task_started_idx ON task_logs (task_id, started_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX task_logs_user_started_idx ON task_logs (user_id, started_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE task_logs`.execute(db);
  await sql`DROP TABLE tasks`.execute(db);
  await sql`DROP TABLE users`.execute(db);
}
