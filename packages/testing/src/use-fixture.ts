import { afterAll, beforeAll } from 'vitest';
import { startOtlpReceiver } from './otlp-receiver.js';
import { createTestEnvironment } from './test-environment.js';

/**
 * Registers a `beforeAll` that sets a fixture up and an `afterAll` that tears it down (if it was set up), in the
 * describe block (or file) it is called in; returns a getter for the fixture, to call inside tests and hooks.
 */
export function useFixture<T>(setUp: () => Promise<T>, tearDown: (fixture: T) => Promise<void>): () => T {
  let fixture: { value: T } | undefined;
  beforeAll(async () => {
    fixture = { value: await setUp() };
  });
  afterAll(async () => {
    if (fixture) await tearDown(fixture.value);
  });
  return () => {
    if (!fixture) throw new Error('useFixture: the fixture is read before its beforeAll has run');
    return fixture.value;
  };
}

/** `useFixture` for a test environment: a private database and queue prefix, cleaned up after the block. */
export function useTestEnvironment() {
  return useFixture(createTestEnvironment, (environment) => environment.cleanup());
}

/** `useFixture` for an OTLP receiver (`startOtlpReceiver`), closed after the block. */
export function useOtlpReceiver() {
  return useFixture(startOtlpReceiver, (receiver) => receiver.close());
}
