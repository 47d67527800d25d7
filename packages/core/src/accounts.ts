import { findUserByEmail, findUserById, insertUser, upsertAdmin, type Database, type Kysely, type SecretKeys } from '@punctual/db';
import { AccountGoneError, EmailTakenError, InvalidCredentialsError, RegistrationDisabledError } from './errors.js';
import { hashForUnknownUser, hashPassword, verifyPassword } from './passwords.js';
import { ensureSigningSecret } from './signing-secrets.js';
import { toUserView, type UserView } from './views.js';

export interface Credentials {
  email: string;
  password: string;
}

/** Emails are compared case-insensitively: stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Creates an account with role `user`, and its signing secret (sealed with `options.secrets`). */
export async function registerUser(
  db: Kysely<Database>,
  credentials: Credentials,
  options: { allowRegistration: boolean; secrets: SecretKeys },
): Promise<UserView> {
  if (!options.allowRegistration) throw new RegistrationDisabledError();
  const user = await insertUser(db, {
    email: normalizeEmail(credentials.email),
    passwordHash: await hashPassword(credentials.password),
  });
  if (!user) throw new EmailTakenError();
  await ensureSigningSecret({ db, keys: options.secrets }, user.id);
  return toUserView(user);
}

/** The account for these credentials; the same error, after the same work, for an unknown email and a wrong password. */
export async function authenticateUser(db: Kysely<Database>, credentials: Credentials): Promise<UserView> {
  const user = await findUserByEmail(db, normalizeEmail(credentials.email));
  const valid = await verifyPassword(credentials.password, user?.password_hash ?? (await hashForUnknownUser()));
  if (!user || !valid) throw new InvalidCredentialsError();
  return toUserView(user);
}

/** The caller's account; 401 when the token outlived it. */
export async function getUser(db: Kysely<Database>, id: string): Promise<UserView> {
  const user = await findUserById(db, id);
  if (!user) throw new AccountGoneError();
  return toUserView(user);
}

/** Makes sure the configured admin exists with the configured password (safe from several API replicas at once). */
export async function bootstrapAdmin(db: Kysely<Database>, admin: Credentials): Promise<UserView> {
  const user = await upsertAdmin(db, { email: normalizeEmail(admin.email), passwordHash: await hashPassword(admin.password) });
  return toUserView(user);
}
