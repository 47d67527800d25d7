import { randomBytes } from 'node:crypto';
import {
  findSigningSecret,
  insertSigningSecret,
  openSecret,
  rotateSigningSecretRow,
  sealSecret,
  type Database,
  type Kysely,
  type SecretKeys,
} from '@punctual/db';
import { AccountGoneError, isAccountGone } from './errors.js';

/** What reading or changing a signing secret needs. */
export interface SigningSecretContext {
  db: Kysely<Database>;
  keys: SecretKeys;
}

/** A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Opens a user's sealed signing secret (the user id is its authenticated data). */
export function openSigningSecret(keys: SecretKeys, userId: string, sealed: string): string {
  return openSecret(keys, { purpose: 'signing secret', subject: userId }, sealed);
}

function sealSigningSecret(keys: SecretKeys, userId: string, secret: string): string {
  return sealSecret(keys, { purpose: 'signing secret', subject: userId }, secret);
}

/**
 * The user's signing secret, sealed, created on first use: at registration, or lazily for accounts older than
 * signing (by the API or by the worker about to sign a call, whichever comes first; a race ends in one secret).
 */
export async function ensureSigningSecret(context: SigningSecretContext, userId: string): Promise<string> {
  const existing = await findSigningSecret(context.db, userId);
  return existing ? existing.secret : createSigningSecret(context, userId);
}

/**
 * Gives a user a signing secret unless one exists (one statement: registration stays as fast for a new email as for a
 * taken one, give or take a round trip); returns the sealed secret that holds.
 */
export async function createSigningSecret(context: SigningSecretContext, userId: string): Promise<string> {
  const row = await insertSigningSecret(context.db, userId, sealSigningSecret(context.keys, userId, newSigningSecret())).catch(
    (error: unknown) => {
      throw isAccountGone(error) ? new AccountGoneError() : error;
    },
  );
  if (!row) throw new AccountGoneError();
  return row.secret;
}

/** The `whsec_…` secret that signs the user's outbound calls. */
export async function getSigningSecret(context: SigningSecretContext, userId: string): Promise<{ secret: string }> {
  return { secret: openSigningSecret(context.keys, userId, await ensureSigningSecret(context, userId)) };
}

/**
 * Replaces the user's signing secret with a new one and returns it. For the next 24 h calls carry signatures by both
 * the new and the replaced secret, so a receiver can switch to the new one without refusing calls meanwhile.
 */
export async function rotateSigningSecret(context: SigningSecretContext, userId: string): Promise<{ secret: string }> {
  const secret = newSigningSecret();
  await rotateSigningSecretRow(context.db, userId, sealSigningSecret(context.keys, userId, secret)).catch((error: unknown) => {
    throw isAccountGone(error) ? new AccountGoneError() : error;
  });
  return { secret };
}
