import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '@punctual/core';

const MAX_DEPTH = 64;

/**
 * What JSON allows but Postgres cannot store: the NUL character and unpaired surrogates (in text and jsonb),
 * and nesting deep enough to exhaust a stack. Rejected up front with the field's path, so no such input
 * ever reaches the database as a 500. Iterative, so a deep document cannot overflow this check either.
 */
export function findUnstorableValue(value: unknown, root: string): InvalidInputError | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\0')) return new InvalidInputError(path, 'must not contain the NUL character');
      if (!current.isWellFormed()) return new InvalidInputError(path, 'must be valid Unicode (unpaired surrogate)');
    } else if (current !== null && typeof current === 'object') {
      if (depth >= MAX_DEPTH) return new InvalidInputError(path, `is nested deeper than ${MAX_DEPTH} levels`);
      const entries = Array.isArray(current) ? current.map((item, index) => [String(index), item] as const) : Object.entries(current);
      for (const [key, item] of entries) {
        if (key.includes('\0') || !key.isWellFormed()) return new InvalidInputError(path, 'has a key that is not storable text');
        stack.push({ value: item, path: `${path}/${key}`, depth: depth + 1 });
      }
    }
  }
  return null;
}

export function registerInputSanity(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const problem = findUnstorableValue(request.body, 'body') ?? findUnstorableValue(request.query, 'querystring');
    if (problem) throw problem;
  });
}
