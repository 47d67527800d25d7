import { createHmac, randomBytes } from 'node:crypto';
import { findUserById, type Database, type Kysely } from '@punctual/db';
import { authenticateUser, type Credentials } from './accounts.js';
import { AccountDisabledError, InvalidCredentialsError } from './errors.js';
import type { Actor } from './task-context.js';

export interface PasswordAuthenticator {
  /**
   * The account these credentials prove, with its role as of now. Throws InvalidCredentialsError (unknown email or
   * wrong password, after the same work) or AccountDisabledError (only once the password is right).
   */
  authenticate(credentials: Credentials, hooks?: VerificationHooks): Promise<Actor>;
}

export interface VerificationHooks {
  /**
   * Runs before a password is hashed, i.e. whenever these credentials are not already known to be right (a cache hit
   * never calls it); throwing refuses the attempt unverified. Where a login limit reserves its count: reserving before
   * the (slow) hash, not recording after it, keeps parallel guesses from all passing one check.
   */
  beforeVerify?: () => Promise<void>;
}

/**
 * Email-and-password checks for clients that send them with every request (HTTP basic auth on the Bull Board, whose page
 * polls several routes every few seconds). A password is hashed (argon2id) the first time; then, for `ttlMs`, the same
 * credentials cost one primary-key lookup, and count only while the account's password hash is still the one they were
 * checked against (a password change or reset ends them at once) and the account is enabled. The cache keys are
 * HMACs under a key of this process, never the passwords.
 */
export function createPasswordAuthenticator(db: Kysely<Database>, options: { ttlMs: number; maxEntries: number }): PasswordAuthenticator {
  const cacheKey = randomBytes(32);
  const verified = new Map<string, { userId: string; passwordHash: string; expiresAt: number }>();
  const keyOf = (credentials: Credentials): string =>
    createHmac('sha256', cacheKey)
      .update(JSON.stringify([credentials.email.trim().toLowerCase(), credentials.password]))
      .digest('base64');

  return {
    async authenticate(credentials, hooks = {}) {
      const key = keyOf(credentials);
      const known = verified.get(key);
      if (known && known.expiresAt > Date.now()) {
        const user = await findUserById(db, known.userId);
        if (user && user.password_hash === known.passwordHash) {
          if (user.disabled) throw new AccountDisabledError();
          return { userId: user.id, role: user.role };
        }
      }
      verified.delete(key);
      await hooks.beforeVerify?.();
      const { user } = await authenticateUser(db, credentials);
      // authenticateUser may just have upgraded the hash: remember the one stored now.
      const row = await findUserById(db, user.id);
      if (!row) throw new InvalidCredentialsError();
      if (verified.size >= options.maxEntries) verified.delete(verified.keys().next().value!);
      verified.set(key, { userId: row.id, passwordHash: row.password_hash, expiresAt: Date.now() + options.ttlMs });
      return { userId: row.id, role: row.role };
    },
  };
}
