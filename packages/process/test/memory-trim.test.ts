import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../src/node-flags.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/grown-young-generation.ts', import.meta.url));
const MiB = 1024 * 1024;

describe('releaseStartupMemory', () => {
  it('shrinks a young generation grown to its maximum back to its minimum, under the flags the processes run with', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [...NODE_FLAGS, '--conditions=source', '--import', 'tsx', FIXTURE]);
    const { grown, released } = JSON.parse(stdout) as { grown: number; released: number };
    // Grown well past what it starts with (1 MiB per semi-space), within NODE_FLAGS' bound (16 MiB per semi-space).
    expect(grown).toBeGreaterThan(8 * MiB);
    expect(grown).toBeLessThanOrEqual(3 * 16 * MiB);
    expect(released).toBeLessThanOrEqual(2 * MiB);
  });
});
