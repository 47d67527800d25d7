import { createHash, randomBytes } from 'node:crypto';
import {
  deleteApiKey as deleteApiKeyRow,
  findApiKeyCredential,
  insertApiKey,
  listApiKeys as listApiKeyRows,
  touchApiKey,
  type Database,
  type Kysely,
} from '@punctual/db';
import type { ApiKeyScope, RequestActor } from './access.js';
import { AccountDisabledError, ApiKeyLimitError, InvalidInputError, NotFoundError, UnauthorizedError } from './errors.js';
import type { Actor } from './task-context.js';
import { toApiKeyView, type ApiKeyView } from './views.js';

/** Keys per user: enough for every server and script, and a bound on the (unpaginated) list. */
export const API_KEY_LIMIT = 100;

const KEY_PREFIX = 'pk_';
/** `pk_` and 32 random bytes in base64url: 256 bits, which is what lets a plain SHA-256 stand in for the key at rest. */
const KEY_FORMAT = /^pk_[A-Za-z0-9_-]{43}$/;
const LAST_USED_RESOLUTION_MS = 60_000;

/** Whether a bearer token is meant as an API key (rather than a JWT), by its `pk_` prefix. */
export function isApiKey(token: string): boolean {
  return token.startsWith(KEY_PREFIX);
}

export interface NewApiKey {
  name: string;
  scope: ApiKeyScope;
  /** ISO-8601; absent or null: the key does not expire. */
  expiresAt?: string | null;
}

/** Creates a key for the actor; the key itself is in this answer and nowhere else, ever. */
export async function createApiKey(db: Kysely<Database>, actor: Actor, input: NewApiKey): Promise<ApiKeyView & { key: string }> {
  const expiresAt = input.expiresAt == null ? null : new Date(input.expiresAt);
  if (expiresAt !== null && !(expiresAt.getTime() > Date.now())) throw new InvalidInputError('body/expiresAt', 'must be in the future');
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await insertApiKey(
    db,
    {
      userId: actor.userId,
      name: input.name,
      scope: input.scope,
      prefix: key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 8),
      hash: hashKey(key),
      expiresAt,
    },
    API_KEY_LIMIT,
  );
  if (!row) throw new ApiKeyLimitError(API_KEY_LIMIT);
  return { ...toApiKeyView(row), key };
}

/** The actor's own keys, oldest first, without the keys themselves. */
export async function listApiKeys(db: Kysely<Database>, actor: Actor): Promise<{ data: ApiKeyView[] }> {
  return { data: (await listApiKeyRows(db, actor.userId)).map(toApiKeyView) };
}

/** Deletes one of the actor's keys (404 for another user's, like a missing one); it answers 401 from the next request on. */
export async function deleteApiKey(db: Kysely<Database>, actor: Actor, id: string): Promise<void> {
  if (!(await deleteApiKeyRow(db, actor.userId, id))) throw new NotFoundError('API key');
}

/**
 * The actor of a request carrying an API key: one indexed lookup, joined to the owner for their role and disabled flag.
 * A malformed, unknown (deleted) or expired key, or a disabled owner, is a 401. `lastUsedAt` moves at most once a minute.
 */
export async function apiKeyActor(db: Kysely<Database>, key: string): Promise<RequestActor> {
  if (!KEY_FORMAT.test(key)) throw new UnauthorizedError('the API key is malformed');
  const credential = await findApiKeyCredential(db, hashKey(key));
  if (!credential) throw new UnauthorizedError('the API key is invalid or has been deleted');
  const now = Date.now();
  if (credential.expires_at !== null && credential.expires_at.getTime() <= now) throw new UnauthorizedError('the API key has expired');
  if (credential.disabled) throw new AccountDisabledError();
  if (credential.last_used_at === null || now - credential.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
    await touchApiKey(db, credential.id);
  }
  return { userId: credential.user_id, role: credential.role, credential: 'api-key', scope: credential.scope };
}

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
