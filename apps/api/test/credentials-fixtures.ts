import type { ApiKey, CreatedApiKey, ManagedUser } from '@punctual/contract';
import type { Database, Kysely } from '@punctual/db';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { authed } from './test-app.js';

/** The contract's shapes; the values each test expects stay written out in the test. */
export type ApiKeyResponse = ApiKey;
export type ManagedUserResponse = ManagedUser;

/** Creates an API key as `token` (a JWT) and returns it with the key (asserting 201). */
export async function createApiKey(
  app: FastifyInstance,
  token: string,
  body: { name?: string; scope?: 'full' | 'read'; expiresAt?: string | null } = {},
): Promise<CreatedApiKey> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/api-keys',
    headers: authed(token),
    payload: { name: 'deploy script', scope: 'full', ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<CreatedApiKey>();
}

/** Gives a user the admin role directly in the database (what an admin's PATCH or the bootstrap would do). */
export async function makeAdmin(db: Kysely<Database>, userId: string): Promise<void> {
  await db.updateTable('users').set({ role: 'admin' }).where('id', '=', userId).execute();
}

/** GET /api/v1/auth/me with this bearer token or key. */
export function whoAmI(app: FastifyInstance, credential: string) {
  return app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: authed(credential) });
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
