import { readFile } from 'node:fs/promises';
import type { Redis } from '@punctual/queue';
import type pg from 'pg';

/** Linux reports process CPU time in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`; null when it is gone or not Linux. */
export async function processCpuSeconds(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds the Redis server has used so far (all its threads), from `INFO cpu`. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Counters of one database from `pg_stat_database` (flushed by each backend at most once a second, and at its exit). */
export interface DatabaseCounters {
  xactCommit: number;
  xactRollback: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
}

export async function databaseCounters(monitor: pg.Client, database: string): Promise<DatabaseCounters> {
  const { rows } = await monitor.query<Record<keyof DatabaseCounters, string>>(
    `SELECT xact_commit AS "xactCommit", xact_rollback AS "xactRollback", tup_inserted AS "tupInserted",
            tup_updated AS "tupUpdated", tup_deleted AS "tupDeleted"
       FROM pg_stat_database WHERE datname = $1`,
    [database],
  );
  const row = rows[0];
  if (!row) throw new Error(`no pg_stat_database row for ${database}`);
  return {
    xactCommit: Number(row.xactCommit),
    xactRollback: Number(row.xactRollback),
    tupInserted: Number(row.tupInserted),
    tupUpdated: Number(row.tupUpdated),
    tupDeleted: Number(row.tupDeleted),
  };
}

export function counterDelta(before: DatabaseCounters, after: DatabaseCounters): DatabaseCounters {
  return {
    xactCommit: after.xactCommit - before.xactCommit,
    xactRollback: after.xactRollback - before.xactRollback,
    tupInserted: after.tupInserted - before.tupInserted,
    tupUpdated: after.tupUpdated - before.tupUpdated,
    tupDeleted: after.tupDeleted - before.tupDeleted,
  };
}

/** One reading of the backends serving `database`, per `application_name`. */
export interface BackendReading {
  /** CPU seconds used by the application's backends since the reader started (ended backends keep their last value). */
  cpuSeconds: Map<string, number>;
  /** Connections open now, and how many of them are running a statement. */
  connections: Map<string, { open: number; active: number }>;
  /** What each active backend is waiting on now (`IO:WALSync`, `Lock:advisory`, …; `CPU` when it waits on nothing), by app. */
  waits: Map<string, Map<string, number>>;
}

/**
 * Reads, each time it is called, the Postgres backends connected to `database` (via `pg_stat_activity` on a monitor
 * connection to another database, so the reads are not counted) and their CPU time from `/proc` (Postgres on this
 * machine). A backend already there at the first call counts from then; a later one from its start.
 */
export function createBackendReader(monitor: pg.Client, database: string): () => Promise<BackendReading> {
  const baseline = new Map<number, number>();
  const last = new Map<number, { app: string; seconds: number }>();
  let first = true;
  return async () => {
    const { rows } = await monitor.query<{ pid: number; app: string; state: string | null; wait: string }>(
      `SELECT pid, application_name AS app, state, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
    const connections = new Map<string, { open: number; active: number }>();
    const waits = new Map<string, Map<string, number>>();
    for (const row of rows) {
      const seconds = await processCpuSeconds(row.pid);
      if (seconds === null) continue;
      if (!baseline.has(row.pid)) baseline.set(row.pid, first ? seconds : 0);
      last.set(row.pid, { app: row.app, seconds });
      const count = connections.get(row.app) ?? { open: 0, active: 0 };
      count.open += 1;
      connections.set(row.app, count);
      if (row.state !== 'active') continue;
      count.active += 1;
      const byWait = waits.get(row.app) ?? new Map<string, number>();
      byWait.set(row.wait, (byWait.get(row.wait) ?? 0) + 1);
      waits.set(row.app, byWait);
    }
    first = false;
    const cpuSeconds = new Map<string, number>();
    for (const [pid, { app, seconds }] of last) cpuSeconds.set(app, (cpuSeconds.get(app) ?? 0) + seconds - baseline.get(pid)!);
    return { cpuSeconds, connections, waits };
  };
}

/** Of all the active backends of `app` seen over `readings`, the share waiting on each thing, largest first. */
export function waitShares(readings: readonly BackendReading[], app: string): Record<string, number> {
  const totals = new Map<string, number>();
  for (const reading of readings)
    for (const [wait, count] of reading.waits.get(app) ?? []) totals.set(wait, (totals.get(wait) ?? 0) + count);
  const all = [...totals.values()].reduce((sum, count) => sum + count, 0);
  return Object.fromEntries(
    [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([wait, count]) => [wait, Math.round((count / all) * 100) / 100]),
  );
}

export interface TableStats {
  updates: number;
  hotUpdates: number;
  tableBytes: number;
  indexBytes: number;
  indexes: number;
}

/** Row changes (`pg_stat_user_tables`) and sizes of `tasks` and `task_logs`, read on a connection to the measured database. */
export async function tableStats(client: pg.Client): Promise<Record<string, TableStats>> {
  const { rows } = await client.query<{ relname: string; upd: string; hot: string; table: string; index: string; indexes: number }>(
    `SELECT relname, n_tup_upd AS upd, n_tup_hot_upd AS hot, pg_relation_size(relid) AS table, pg_indexes_size(relid) AS index,
            (SELECT count(*)::int FROM pg_index WHERE indrelid = relid) AS indexes
       FROM pg_stat_user_tables WHERE relname IN ('tasks', 'task_logs')`,
  );
  return Object.fromEntries(
    rows.map((row) => [
      row.relname,
      {
        updates: Number(row.upd),
        hotUpdates: Number(row.hot),
        tableBytes: Number(row.table),
        indexBytes: Number(row.index),
        indexes: row.indexes,
      },
    ]),
  );
}
