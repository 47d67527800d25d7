import { createGroupCommit } from '@punctual/db';
import { describe, expect, it } from 'vitest';

/** A group commit over plain values whose statements finish when the test says: what went out, and in which form. */
function recordingGroupCommit(options: { failBatch?: boolean; failOne?: (item: string) => boolean; maxInFlight?: number } = {}) {
  const sent: { kind: 'batch' | 'one'; items: string[]; finish: () => void }[] = [];
  const statement = <T>(kind: 'batch' | 'one', items: string[], result: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      sent.push({
        kind,
        items,
        finish: () => {
          if (kind === 'batch' && options.failBatch) reject(new Error('batch statement failed'));
          else if (kind === 'one' && options.failOne?.(items[0]!)) reject(new Error(`${items[0]} failed`));
          else resolve(result());
        },
      });
    });
  const submit = createGroupCommit<string, string>({
    runBatch: (items) => statement('batch', [...items], () => items.map((item) => `done ${item}`)),
    runOne: (item) => statement('one', [item], () => `done ${item}`),
    keyOf: (item) => item.split('#')[0]!,
    maxBatch: 3,
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
  });
  return { sent, submit };
}

/** Lets the statements that finished hand over their slots (their callbacks run a few microtasks later). */
const handOver = () => new Promise((resolve) => setImmediate(resolve));

const settle = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: (error as Error).message }),
  );

describe('createGroupCommit', () => {
  it('sends a lone item at once, alone (no timer)', async () => {
    const { sent, submit } = recordingGroupCommit();
    const result = submit('a');
    // Sent within submit itself: nothing waits for a tick, let alone a timer.
    expect(sent).toEqual([expect.objectContaining({ kind: 'one', items: ['a'] })]);
    sent[0]!.finish();
    expect(await result).toBe('done a');
  });

  it('sends what arrives while two statements are under way as one batch, each item getting its own result', async () => {
    const { sent, submit } = recordingGroupCommit();
    const results = ['a', 'b', 'c', 'd', 'e'].map((item) => submit(item));
    expect(sent.map((s) => s.items)).toEqual([['a'], ['b']]);
    sent[0]!.finish();
    await handOver();
    // One slot is free: everything that waited goes together.
    expect(sent.map((s) => [s.kind, s.items])).toEqual([
      ['one', ['a']],
      ['one', ['b']],
      ['batch', ['c', 'd', 'e']],
    ]);
    sent[1]!.finish();
    sent[2]!.finish();
    expect(await Promise.all(results)).toEqual(['done a', 'done b', 'done c', 'done d', 'done e']);
  });

  it('with one statement in flight, sends everything that arrived meanwhile as the next batch, and nothing before', async () => {
    const { sent, submit } = recordingGroupCommit({ maxInFlight: 1 });
    const results = ['a', 'b', 'c', 'd'].map((item) => submit(item));
    expect(sent.map((s) => s.items)).toEqual([['a']]);
    sent[0]!.finish();
    await handOver();
    expect(sent.map((s) => [s.kind, s.items])).toEqual([
      ['one', ['a']],
      ['batch', ['b', 'c', 'd']],
    ]);
    sent[1]!.finish();
    expect(await Promise.all(results)).toEqual(['done a', 'done b', 'done c', 'done d']);
  });

  it('keeps a batch to maxBatch items and two items of the same key apart', async () => {
    const { sent, submit } = recordingGroupCommit();
    const results = ['a', 'b', 'c', 'd', 'c#2', 'e', 'f'].map((item) => submit(item));
    sent[0]!.finish();
    await handOver();
    expect(sent[2]!.items).toEqual(['c', 'd', 'e']);
    sent[1]!.finish();
    await handOver();
    expect(sent[3]!.items).toEqual(['c#2', 'f']);
    sent[2]!.finish();
    sent[3]!.finish();
    expect(await Promise.all(results)).toHaveLength(7);
  });

  it('runs the items of a failed batch one by one, so one item failing fails only itself', async () => {
    const { sent, submit } = recordingGroupCommit({ failBatch: true, failOne: (item) => item === 'd' });
    const results = ['a', 'b', 'c', 'd', 'e'].map((item) => settle(submit(item)));
    sent[0]!.finish();
    sent[1]!.finish();
    await handOver();
    expect(sent[2]).toMatchObject({ kind: 'batch', items: ['c', 'd', 'e'] });
    sent[2]!.finish();
    await handOver();
    expect(sent.slice(3).map((s) => [s.kind, s.items])).toEqual([
      ['one', ['c']],
      ['one', ['d']],
      ['one', ['e']],
    ]);
    for (const s of sent.slice(3)) s.finish();
    expect(await Promise.all(results)).toEqual([
      { value: 'done a' },
      { value: 'done b' },
      { value: 'done c' },
      { error: 'd failed' },
      { value: 'done e' },
    ]);
  });
});
