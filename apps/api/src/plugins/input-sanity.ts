import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '@punctual/core';

const MAX_DEPTH = 64;

/**
 * What JSON allows but Postgres cannot store: the NUL character and unpaired surrogates (in text and jsonb), numbers
 * beyond a double's range, and nesting deep enough to exhaust a stack. Rejected up front with the field's path, so no
 * such input ever reaches the database as a 500. Iterative, so a deep document cannot overflow this check either.
 */
function findUnstorableValue(value: unknown, root: string): InvalidInputError | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\0')) return new InvalidInputError(path, 'must not contain the NUL character');
      if (!current.isWellFormed()) return new InvalidInputError(path, 'must be valid Unicode (unpaired surrogate)');
    } else if (typeof current === 'number') {
      // 1e400 parses to Infinity, which JSON (and so jsonb) would silently store as null.
      if (!Number.isFinite(current)) return new InvalidInputError(path, 'is beyond the range of a double-precision number');
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

/**
 * The `__proto__` key, or a `constructor` holding `prototype`, that made Fastify refuse a JSON body
 * (onProtoPoisoning/onConstructorPoisoning 'error'), named by its path; null when the text is not JSON at all.
 * Only runs on a body already refused, so valid requests never pay for the second parse.
 */
function findPoisonedKey(text: string, root = 'body'): InvalidInputError | null {
  let document: unknown;
  try {
    // JSON.parse defines "__proto__" as an own property: reading the document here pollutes nothing.
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  const stack: Array<{ value: unknown; path: string }> = [{ value: document, path: root }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key === '__proto__') return new InvalidInputError(`${path}/__proto__`, 'is not allowed (prototype pollution)');
      if (key === 'constructor' && item !== null && typeof item === 'object' && Object.hasOwn(item, 'prototype')) {
        return new InvalidInputError(`${path}/constructor/prototype`, 'is not allowed (prototype pollution)');
      }
      stack.push({ value: item, path: `${path}/${key}` });
    }
  }
  return null;
}

export function registerInputSanity(app: FastifyInstance): void {
  // Fastify's own JSON parser (BOM, empty body, poisoning rules as configured), with the refused key named in the 400.
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  );
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    // Fastify's default JSON parser answers through the callback (its type also allows a promise, which it never returns).
    void parseJson(request, text, (error, value) => {
      if (error) done(findPoisonedKey(text) ?? error, undefined);
      else done(null, value);
    });
  });
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const problem = findUnstorableValue(request.body, 'body') ?? findUnstorableValue(request.query, 'querystring');
    if (problem) throw problem;
  });
}
