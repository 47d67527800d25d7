import type { Database, Kysely } from '@punctual/db';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { authed } from './test-app.js';

export interface ApiKeyResponse {
  id: string;
  name: string;
  scope: 'full' | 'read';
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface ManagedUserResponse {
  id: string;
  email: string;
  role: 'user' | 'admin';
  createdAt: string;
  disabled: boolean;
}

/** Creates an API key as `token` (a JWT) and returns it with the key (asserting 201). */
export async function createApiKey(
  app: FastifyInstance,
  token: string,
  body: { name?: string; scope?: 'full' | 'read'; expiresAt?: string | null } = {},
): Promise<ApiKeyResponse & { key: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/api-keys',
    headers: authed(token),
    payload: { name: 'deploy script', scope: 'full', ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<ApiKeyResponse & { key: string }>();
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
