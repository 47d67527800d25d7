import { describe, expect, it } from 'vitest';
import {
  BULK_ACTIONS,
  TASK_ACTIONS,
  TASK_OPERATIONS,
  TASK_STATUSES,
  TASK_TRANSITIONS,
  describeTransition,
  endsSchedule,
  isTerminal,
  statusAfter,
  transitionRefusal,
  type TaskOperation,
  type TaskStatus,
} from '../src/index.js';

const X = 409;
type Expected = TaskStatus | 'removed' | typeof X;

// The contract's action table (shared/spec/api.md "Actions", plus update and delete), written out as the oracle: what a
// one-off task with no attempts in its run ends up as, by the status it starts from. Columns in this order:
const COLUMNS = ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'] as const;
const ONE_OFF: Record<TaskOperation, readonly Expected[]> = {
  update: ['pending', X, 'retrying', X, X, X, 'paused'],
  delete: ['removed', 'removed', 'removed', 'removed', 'removed', 'removed', 'removed'],
  run: ['pending', X, 'pending', 'pending', 'pending', X, 'pending'],
  pause: ['paused', X, 'paused', X, X, X, X],
  resume: [X, X, X, X, X, X, 'pending'],
  cancel: ['cancelled', 'cancelled', 'cancelled', X, X, X, 'cancelled'],
  retry: [X, X, X, 'pending', 'pending', 'pending', X],
  'reset-retries': ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'],
};

/** A recurring task differs only where an operation is for one-off tasks: retry refuses it from every status. */
const RECURRING: Record<TaskOperation, readonly Expected[]> = { ...ONE_OFF, retry: COLUMNS.map(() => X) };

function outcome(operation: TaskOperation, task: { status: TaskStatus; recurring: boolean; attempts: number }): Expected {
  if (transitionRefusal(operation, task) !== null) return X;
  return statusAfter(operation, task) ?? 'removed';
}

describe('the transition table', () => {
  it('lists the statuses in the order the oracle is written in', () => {
    expect(TASK_STATUSES).toEqual(COLUMNS);
  });

  it('has one row for each operation: update, delete and every action', () => {
    expect(Object.keys(TASK_TRANSITIONS).sort()).toEqual([...TASK_OPERATIONS].sort());
    expect(TASK_OPERATIONS).toEqual(expect.arrayContaining([...TASK_ACTIONS, ...BULK_ACTIONS, 'update']));
  });

  const cases = TASK_OPERATIONS.flatMap((operation) =>
    COLUMNS.flatMap((status, column) => [
      { operation, status, recurring: false, expected: ONE_OFF[operation][column]! },
      { operation, status, recurring: true, expected: RECURRING[operation][column]! },
    ]),
  );

  it('covers every operation from every status, one-off and recurring', () => {
    expect(cases).toHaveLength(8 * 7 * 2);
  });

  it.for(cases)('$operation from $status (recurring: $recurring) → $expected', ({ operation, status, recurring, expected }) => {
    expect(outcome(operation, { status, recurring, attempts: 0 })).toBe(expected);
    expect(TASK_TRANSITIONS[operation].from.includes(status)).toBe(ONE_OFF[operation][COLUMNS.indexOf(status)] !== X);
  });

  it.for(cases.filter((c) => c.expected === X))(
    'refuses $operation from $status (recurring: $recurring) with a message naming the status',
    ({ operation, status, recurring }) => {
      const message = transitionRefusal(operation, { status, recurring });
      const becauseRecurring = operation === 'retry' && recurring && ONE_OFF.retry[COLUMNS.indexOf(status)] !== X;
      expect(message).toBe(
        becauseRecurring
          ? `cannot retry a task that is ${status} and recurring (retry re-drives one-off tasks)`
          : `cannot ${operation} a task that is ${status}`,
      );
    },
  );

  it('resumes a paused task to retrying when its run has attempts behind it, else to pending', () => {
    expect(outcome('resume', { status: 'paused', recurring: false, attempts: 2 })).toBe('retrying');
    expect(outcome('resume', { status: 'paused', recurring: true, attempts: 1 })).toBe('retrying');
    expect(outcome('resume', { status: 'paused', recurring: true, attempts: 0 })).toBe('pending');
  });

  it('keeps the status on reset-retries whatever the attempts', () => {
    for (const status of COLUMNS) expect(outcome('reset-retries', { status, recurring: false, attempts: 3 })).toBe(status);
  });

  it('starts a fresh run for run and retry only', () => {
    expect(TASK_OPERATIONS.filter((operation) => TASK_TRANSITIONS[operation].startsRun)).toEqual(['run', 'retry']);
  });

  it('resets attempts for run, retry and reset-retries only', () => {
    expect(TASK_OPERATIONS.filter((operation) => TASK_TRANSITIONS[operation].resetsAttempts)).toEqual(['run', 'retry', 'reset-retries']);
  });

  it('bumps the version on every action but reset-retries, and on an update only when it reschedules', () => {
    const bumps = Object.fromEntries(TASK_OPERATIONS.map((operation) => [operation, TASK_TRANSITIONS[operation].bumpsVersion]));
    expect(bumps).toEqual({
      update: 'when-rescheduled',
      delete: false,
      run: true,
      pause: true,
      resume: true,
      cancel: true,
      retry: true,
      'reset-retries': false,
    });
  });

  it('marks a run made from paused to pause again, and clears the mark on resume, cancel and retry', () => {
    const marks = Object.fromEntries(TASK_OPERATIONS.map((operation) => [operation, TASK_TRANSITIONS[operation].holdAfterRun]));
    expect(marks).toEqual({
      update: 'keep',
      delete: 'keep',
      run: 'set-when-paused',
      pause: 'keep',
      resume: 'clear',
      cancel: 'clear',
      retry: 'clear',
      'reset-retries': 'keep',
    });
  });

  it('ends the schedule (no next run) only where the result is terminal: cancel', () => {
    expect(TASK_OPERATIONS.filter(endsSchedule)).toEqual(['cancel']);
  });

  it('says in the OpenAPI text where each operation applies and what it leaves', () => {
    expect(describeTransition('pause')).toBe('pending | retrying → paused.');
    expect(describeTransition('cancel')).toBe('pending | running | retrying | paused → cancelled.');
    expect(describeTransition('retry')).toBe('failed | completed | cancelled (one-off tasks only) → pending.');
    expect(describeTransition('resume')).toBe('paused → pending (retrying when the current run has attempts).');
    expect(describeTransition('reset-retries')).toBe('any status → the same status.');
    expect(describeTransition('delete')).toBe('any status → removed.');
    for (const operation of TASK_OPERATIONS) {
      expect(TASK_TRANSITIONS[operation].summary).not.toBe('');
      expect(TASK_TRANSITIONS[operation].description).not.toBe('');
    }
  });

  it('treats completed, failed and cancelled as terminal', () => {
    expect(TASK_STATUSES.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled']);
  });
});
