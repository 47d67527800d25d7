import { describe, expect, it } from 'vitest';
import { TASK_STATUSES, isAllowed, isTerminal } from '../src/index.js';

describe('transitions', () => {
  it.each(TASK_STATUSES.map((status) => [status, ['pending', 'retrying', 'paused'].includes(status)] as const))(
    'update from %s allowed: %s',
    (status, allowed) => {
      expect(isAllowed('update', status)).toBe(allowed);
    },
  );

  it('treats completed, failed and cancelled as terminal', () => {
    expect(TASK_STATUSES.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled']);
  });
});
