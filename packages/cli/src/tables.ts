import Table from 'cli-table3';
import type { ApiKey, Task, TaskLog, TaskPage } from '@punctual/client';
import { formatTime, relativeTime } from './format-time.js';

/**
 * Plain columns, as kubectl and docker print them: no borders (a row is one line, easy to grep and to read at 100
 * columns), no colours (the same in a terminal, a log file and a test's expectation).
 */
const LAYOUT: Table.TableConstructorOptions = {
  chars: {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
    bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
  }, // prettier-ignore
  style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
};
const NAME_WIDTH = 30;

function table(head?: string[]): Table.Table {
  return new Table({ ...LAYOUT, ...(head === undefined ? {} : { head }) });
}

/** The rows, each without the padding the last column leaves. */
function print(rows: Table.Table): string {
  return `${rows.toString().replace(/ +$/gm, '')}\n`;
}

/** The task list: one row a task, then which page this is. */
export function renderTaskPage(page: TaskPage, now: Date): string {
  if (page.data.length === 0) return page.total === 0 ? 'No tasks.\n' : `No tasks on page ${page.page} (${page.total} in all).\n`;
  const rows = table(['ID', 'NAME', 'STATUS', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'TAGS']);
  for (const task of page.data) {
    const nextRun = task.nextRunAt === null ? '-' : relativeTime(new Date(task.nextRunAt), now);
    rows.push([task.id, truncate(task.name, NAME_WIDTH), task.status, schedule(task), nextRun, lastRun(task), task.tags.join(',')]);
  }
  const pages = Math.max(1, Math.ceil(page.total / page.limit));
  const total = `${page.totalExact === false ? 'about ' : ''}${page.total} task${page.total === 1 ? '' : 's'}`;
  return `${print(rows)}Page ${page.page} of ${page.totalExact === false ? 'about ' : ''}${pages} (${total}).\n`;
}

/** One task, field by field, secrets as set / not set. */
export function renderTask(task: Task, now: Date): string {
  const rows = table();
  const fields: Array<[string, string]> = [
    ['id', task.id],
    ['name', task.name],
    ['description', task.description ?? '-'],
    ['status', task.status],
    ['request', `${task.method} ${task.url}`],
    [
      'headers',
      Object.entries(task.headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n') || '-',
    ],
    [
      'body',
      task.body === null || task.body === undefined
        ? '-'
        : truncate(typeof task.body === 'string' ? task.body : JSON.stringify(task.body), 200),
    ],
    ['token', task.hasToken ? 'set' : 'not set'],
    ['schedule', schedule(task)],
    ['next run', formatTime(task.nextRunAt, now)],
    ['last run', task.lastRunAt ? `${lastRun(task)} at ${formatTime(task.lastRunAt, now)}` : '-'],
    [
      'attempts',
      `${task.attempts} in this run, up to ${1 + task.maxRetries} (${task.backoff.type} backoff from ${task.backoff.delayMs} ms)`,
    ],
    ['runs', String(task.runCount)],
    ['timeout', `${task.timeoutMs} ms`],
    ['tags', task.tags.join(', ') || '-'],
    ['created', formatTime(task.createdAt, now)],
    ['updated', formatTime(task.updatedAt, now)],
  ];
  for (const [name, value] of fields) rows.push({ [`${name}:`]: value });
  return print(rows);
}

/** A task's attempts, newest first as the API lists them. */
export function renderLogs(logs: TaskLog[], total: number, now: Date): string {
  if (logs.length === 0) return 'No attempts yet.\n';
  const rows = table(['STARTED', 'RUN', 'ATTEMPT', 'OUTCOME', 'STATUS', 'DURATION', 'ERROR']);
  for (const log of logs) {
    rows.push([
      formatTime(log.startedAt, now),
      log.runId.slice(0, 8),
      String(log.attempt),
      log.outcome,
      log.statusCode === null ? '-' : String(log.statusCode),
      log.durationMs === null ? '-' : `${log.durationMs} ms`,
      truncate(log.error ?? '', 60) || '-',
    ]);
  }
  const shown = logs.length < total ? `Showing ${logs.length} of ${total} attempts.\n` : '';
  return `${print(rows)}${shown}`;
}

/** The caller's API keys (never the keys themselves: the API shows a key once, when it is created). */
export function renderKeys(keys: ApiKey[], now: Date): string {
  if (keys.length === 0) return 'No API keys.\n';
  const rows = table(['ID', 'NAME', 'SCOPE', 'KEY', 'CREATED', 'EXPIRES', 'LAST USED']);
  for (const key of keys) {
    rows.push([
      key.id,
      truncate(key.name, NAME_WIDTH),
      key.scope,
      `pk_${key.prefix}…`,
      formatTime(key.createdAt, now),
      key.expiresAt ? formatTime(key.expiresAt, now) : 'never',
      formatTime(key.lastUsedAt, now),
    ]);
  }
  return print(rows);
}

/** The cron expression (and its zone, unless UTC) of a recurring task; `once` for a one-off. */
function schedule(task: Task): string {
  return task.cron === null ? 'once' : `${task.cron}${task.timezone === 'UTC' ? '' : ` (${task.timezone})`}`;
}

/** The latest attempt: `succeeded 200`, `failed HTTP 503`, or `-` before the first. */
function lastRun(task: Task): string {
  if (task.lastOutcome === null) return '-';
  if (task.lastOutcome === 'succeeded') return `succeeded${task.lastStatusCode === null ? '' : ` ${task.lastStatusCode}`}`;
  return `failed${task.lastError ? `: ${truncate(task.lastError, 40)}` : ''}`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
