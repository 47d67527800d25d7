import type { ApiKey, Task, TaskLog } from '@punctual/client';
import { describe, expect, it } from 'vitest';
import { formatTime, relativeTime, renderKeys, renderLogs, renderTask, renderTaskPage } from '../src/index.js';

const now = new Date('2026-12-03T12:00:00Z');

const task: Task = {
  id: '3f1c2a9e-0b7d-4c55-9a61-2f4e8d7c6b10',
  userId: '5d0e8b9a-1111-4222-8333-444455556666',
  name: 'nightly report',
  description: null,
  url: 'https://example.com/report',
  method: 'POST',
  headers: { 'X-Source': 'cli', Authorization: '[redacted]' },
  body: { a: 1 },
  hasToken: true,
  scheduledAt: null,
  cron: '0 9 * * 1-5',
  timezone: 'Europe/Berlin',
  nextRunAt: '2026-12-04T08:00:00.000Z',
  status: 'pending',
  maxRetries: 3,
  backoff: { type: 'exponential', delayMs: 10000, maxDelayMs: 3600000, jitter: false },
  timeoutMs: 10000,
  attempts: 0,
  runCount: 4,
  lastRunAt: '2026-12-03T08:00:00.120Z',
  lastOutcome: 'failed',
  lastStatusCode: 503,
  lastError: 'HTTP 503',
  tags: ['billing', 'daily'],
  notify: { onFailure: true, onRetry: false },
  callbacks: {},
  successCodes: ['2xx'],
  retryOn: ['any'],
  flowControl: null,
  misfire: 'once',
  template: false,
  createdAt: '2026-11-01T10:00:00.000Z',
  updatedAt: '2026-12-03T08:00:01.000Z',
};

describe('tables', () => {
  it('lists tasks in plain columns: schedule, next run relative to now, last outcome, tags; then the page', () => {
    const oneOff: Task = {
      ...task,
      id: 'a1c2a9e0-0b7d-4c55-9a61-2f4e8d7c6b10',
      name: 'x'.repeat(45),
      cron: null,
      timezone: 'UTC',
      status: 'completed',
      nextRunAt: null,
      lastOutcome: 'succeeded',
      lastStatusCode: 200,
      tags: [],
    };
    expect(renderTaskPage({ data: [task, oneOff], page: 2, limit: 2, total: 5 }, now)).toBe(
      [
        'ID                                    NAME                            STATUS     SCHEDULE                     NEXT RUN  LAST RUN          TAGS',
        '3f1c2a9e-0b7d-4c55-9a61-2f4e8d7c6b10  nightly report                  pending    0 9 * * 1-5 (Europe/Berlin)  in 20h    failed: HTTP 503  billing,daily',
        `a1c2a9e0-0b7d-4c55-9a61-2f4e8d7c6b10  ${'x'.repeat(29)}…  completed  once                         -         succeeded 200`,
        'Page 2 of 3 (5 tasks).',
        '',
      ].join('\n'),
    ); // prettier-ignore
  });

  it('says when there is nothing to list, and when a total is an estimate', () => {
    expect(renderTaskPage({ data: [], page: 1, limit: 20, total: 0 }, now)).toBe('No tasks.\n');
    expect(renderTaskPage({ data: [], page: 9, limit: 20, total: 30 }, now)).toBe('No tasks on page 9 (30 in all).\n');
    expect(renderTaskPage({ data: [task], page: 1, limit: 1, total: 1500, totalExact: false }, now)).toContain(
      'Page 1 of about 1500 (about 1500 tasks).',
    );
  });

  it('shows one task field by field, its secrets as set, times in UTC with how far they are', () => {
    const text = renderTask(task, now);
    expect(text).toContain('request:      POST https://example.com/report\n');
    expect(text).toContain('headers:      X-Source: cli\n              Authorization: [redacted]\n');
    expect(text).toContain('token:        set\n');
    expect(text).toContain('next run:     2026-12-04T08:00:00Z (in 20h)\n');
    expect(text).toContain('last run:     failed: HTTP 503 at 2026-12-03T08:00:00Z (3h ago)\n');
    expect(text).toContain('attempts:     0 in this run, up to 4 (exponential backoff from 10000 ms)\n');
  });

  it("lists a task's attempts and says when there are more than shown", () => {
    const log: TaskLog = {
      id: 'l1', taskId: task.id, runId: '9a8b7c6d-0000-4000-8000-000000000000', attempt: 2, outcome: 'failed', statusCode: null,
      durationMs: 10001, error: 'timeout after 10000 ms', responseHeaders: {}, responseBody: null, responseTruncated: false,
      scheduledFor: '2026-12-03T11:59:00.000Z', startedAt: '2026-12-03T11:59:00.500Z', finishedAt: null, workerId: 'w:1', nextRetryAt: null,
    }; // prettier-ignore
    expect(renderLogs([log], 7, now)).toBe(
      [
        'STARTED                         RUN       ATTEMPT  OUTCOME  STATUS  DURATION  ERROR',
        '2026-12-03T11:59:00Z (59s ago)  9a8b7c6d  2        failed   -       10001 ms  timeout after 10000 ms',
        'Showing 1 of 7 attempts.',
        '',
      ].join('\n'),
    );
    expect(renderLogs([], 0, now)).toBe('No attempts yet.\n');
  });

  it('lists API keys by prefix, never whole', () => {
    const key: ApiKey = {
      id: 'k1',
      name: 'cli on host',
      scope: 'read',
      prefix: 'abcd1234',
      createdAt: '2026-12-01T12:00:00Z',
      expiresAt: null,
      lastUsedAt: null,
    };
    expect(renderKeys([key], now)).toBe(
      [
        'ID  NAME         SCOPE  KEY           CREATED                        EXPIRES  LAST USED',
        'k1  cli on host  read   pk_abcd1234…  2026-12-01T12:00:00Z (2d ago)  never    -',
        '',
      ].join('\n'),
    ); // prettier-ignore
  });

  it('writes times as ISO UTC to the second with the largest unit of distance', () => {
    expect(formatTime('2026-12-03T12:00:00.999Z', now)).toBe('2026-12-03T12:00:00Z (now)');
    expect(formatTime(null, now)).toBe('-');
    expect(relativeTime(new Date('2026-12-03T12:05:59Z'), now)).toBe('in 5m');
    expect(relativeTime(new Date('2026-11-30T11:00:00Z'), now)).toBe('3d ago');
  });
});
