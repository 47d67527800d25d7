import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

/** Raised when Postgres does not answer; its message is one line an operator can act on. */
export class PostgresUnavailableError extends Error {
  constructor(databaseUrl: string, cause: unknown) {
    super(
      `Postgres is not answering at ${describeServer(databaseUrl)} (DATABASE_URL): ${shortReason(cause)}. ` +
        'Start it (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or `docker compose up -d postgres`) or set DATABASE_URL.',
      { cause },
    );
    this.name = 'PostgresUnavailableError';
  }
}

export interface DatabaseOptions {
  /** Pool size; a worker needs few connections since no transaction spans an HTTP call. */
  maxConnections?: number;
  applicationName?: string;
}

/** The pg pool under each Kysely instance `createDatabase` made, for `executePrepared`. */
const pools = new WeakMap<Kysely<Database>, pg.Pool>();

/** A Kysely instance over its own pg pool. Close it with `db.destroy()`. */
export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'punctual',
    connectionTimeoutMillis: 5_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that would crash the process.
  pool.on('error', () => {});
  // So does a checked-out client between two statements (pg-pool listens only while it is idle), which a Postgres
  // restart under load meets; the statement that follows fails instead, as any query to a gone server does.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    // Our named statements (see preparedStatement) are all key lookups and batches by key, whose best plan does not
    // depend on the values. Left to choose, Postgres kept planning the batched claim and record afresh for each call
    // (their arrays' lengths vary), which was half of its CPU per attempt: 0.68–0.77 ms against 0.37 with the generic
    // plan, in batches of twelve. Kysely's own statements are unnamed and planned per call whatever this says. Sent
    // as the connection's first statement rather than a startup option, which connection poolers refuse.
    client.query('SET plan_cache_mode = force_generic_plan').catch(() => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/**
 * A statement of a hot path, prepared: each connection has Postgres parse it once (under `name`) and then only binds
 * and executes it, which is most of a short statement's server time. Kysely sends every statement unnamed, so the hot
 * paths keep their SQL here (built with Kysely's `compile()` or written out) and run it with `executePrepared`.
 * The text must not vary between calls (no `IN` list of varying length): one name, one text.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export function preparedStatement(name: string, text: string): PreparedStatement {
  return { name, text };
}

/** Runs a prepared statement outside any transaction on the pool of `db` (which `createDatabase` made). */
export async function executePrepared<R extends object>(
  db: Kysely<Database>,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<R[]> {
  const pool = pools.get(db);
  if (!pool) throw new Error('executePrepared needs a database made by createDatabase');
  const result = await pool.query<R>({ name: statement.name, text: statement.text, values: [...values] });
  return result.rows;
}

/**
 * Runs one statement on a connection of its own, closed after (whether it succeeds or not); rejects with pg's error.
 * Connecting gives up after `connectTimeoutMs` (default 5000), the statement after `queryTimeoutMs` (default none).
 */
export async function queryOnce<T = Record<string, unknown>>(
  databaseUrl: string,
  statement: string,
  options: { connectTimeoutMs?: number; queryTimeoutMs?: number } = {},
): Promise<T[]> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.query(statement)).rows as T[];
  } finally {
    await client.end().catch(() => {});
  }
}

/** Opens one connection and runs `SELECT 1`, turning a failure into PostgresUnavailableError. */
export async function assertPostgresReachable(databaseUrl: string, timeoutMs = 5_000): Promise<void> {
  try {
    await queryOnce(databaseUrl, 'SELECT 1', { connectTimeoutMs: timeoutMs, queryTimeoutMs: timeoutMs });
  } catch (error) {
    throw new PostgresUnavailableError(databaseUrl, error);
  }
}

/** Whether Postgres answers `SELECT 1` at that URL (the database in it must exist) within `timeoutMs`. */
export async function postgresAnswers(databaseUrl: string, timeoutMs = 5_000): Promise<boolean> {
  return assertPostgresReachable(databaseUrl, timeoutMs).then(
    () => true,
    () => false,
  );
}

/** `host:port` of a connection URL, without credentials. */
function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'an unparseable address';
  }
}

function shortReason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return shortReason(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}

/** One round trip to Postgres through the pool: what a health check measures. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** Whether an error means Postgres (or the pool) cannot be reached right now: the same call may succeed later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof PostgresUnavailableError) return true;
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code !== undefined && CONNECTION_ERRORS.has(code)) return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)
  );
}
