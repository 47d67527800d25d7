import {
  findUsersAccess,
  findUserByEmail,
  findUserById,
  insertUser,
  setPasswordHash,
  upsertAdmin,
  type Database,
  type Kysely,
  type SecretKeys,
  type UserAccess,
} from '@punctual/db';
import { GroupCommit } from './group-commit.js';
import type { RequestActor } from './access.js';
import {
  AccountDisabledError,
  AccountGoneError,
  AdminBootstrapRefusedError,
  EmailTakenError,
  InvalidCredentialsError,
  RegistrationDisabledError,
  SessionEndedError,
  WrongPasswordError,
} from './errors.js';
import { hashForUnknownUser, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { createSigningSecret } from './signing-secrets.js';
import { toUserView, type UserView } from './views.js';

export interface Credentials {
  email: string;
  password: string;
}

/** What a JWT carries: the user id, their role when it was issued (informational), and their session version. */
export interface SessionClaims {
  sub: string;
  role: 'user' | 'admin';
  /** The account's session_version when the token was issued; a password change bumps it. Absent in older tokens (0). */
  sv: number;
}

/** An account that just proved who it is, and the claims of the token to issue it. */
export interface Session {
  user: UserView;
  claims: SessionClaims;
}

/** Emails are compared case-insensitively: stored trimmed and lower-cased. */
function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates an account with role `user`, and its signing secret (sealed with `options.secrets`). The password is hashed
 * first, so a taken email costs the same work as a new one.
 */
export async function registerUser(
  db: Kysely<Database>,
  credentials: Credentials,
  options: { allowRegistration: boolean; secrets: SecretKeys },
): Promise<Session> {
  if (!options.allowRegistration) throw new RegistrationDisabledError();
  const user = await insertUser(db, {
    email: normalizeEmail(credentials.email),
    passwordHash: await hashPassword(credentials.password),
  });
  if (!user) throw new EmailTakenError();
  await createSigningSecret({ db, keys: options.secrets }, user.id);
  return { user: toUserView(user), claims: { sub: user.id, role: user.role, sv: user.session_version } };
}

/**
 * The account for these credentials; the same error, after the same work, for an unknown email and a wrong password.
 * A hash made with weaker parameters than today's is replaced while the password is at hand.
 */
export async function authenticateUser(db: Kysely<Database>, credentials: Credentials): Promise<Session> {
  const user = await findUserByEmail(db, normalizeEmail(credentials.email));
  const valid = await verifyPassword(credentials.password, user?.password_hash ?? (await hashForUnknownUser()));
  if (!user || !valid) throw new InvalidCredentialsError();
  if (user.disabled) throw new AccountDisabledError();
  if (needsRehash(user.password_hash)) {
    const passwordHash = await hashPassword(credentials.password);
    await setPasswordHash(db, user.id, { passwordHash, endSessions: false, previousHash: user.password_hash });
  }
  return { user: toUserView(user), claims: { sub: user.id, role: user.role, sv: user.session_version } };
}

/** The caller's account; 401 when it is gone. */
export async function getUser(db: Kysely<Database>, id: string): Promise<UserView> {
  const user = await findUserById(db, id);
  if (!user) throw new AccountGoneError();
  return toUserView(user);
}

/**
 * The actor of a request carrying a verified JWT, from one primary-key lookup: the role is the account's now, not the
 * token's; a deleted or disabled account, or a token issued before the last password change, is refused (401).
 */
export async function sessionActor(db: Kysely<Database>, claims: Pick<SessionClaims, 'sub'> & { sv?: number }): Promise<RequestActor> {
  const access = await accessOf(db, claims.sub);
  if (!access) throw new AccountGoneError();
  if (access.disabled) throw new AccountDisabledError();
  if ((claims.sv ?? 0) !== access.session_version) throw new SessionEndedError();
  return { userId: claims.sub, role: access.role, credential: 'jwt', scope: 'full' };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const accessLookups = new WeakMap<Kysely<Database>, GroupCommit<string, UserAccess | null>>();

/**
 * The account's access as of now, read with the other requests' that arrive meanwhile in one statement (GroupCommit:
 * a lone request is not delayed). Each lookup starts after its request arrived, so a change to the account still
 * applies from the next request on.
 */
async function accessOf(db: Kysely<Database>, userId: string): Promise<UserAccess | null> {
  // No account has such an id; kept out of the shared statement, where it would fail the other requests' lookups.
  if (!UUID.test(userId)) return null;
  let lookups = accessLookups.get(db);
  if (lookups === undefined) {
    lookups = new GroupCommit(
      async (ids) => {
        const found = await findUsersAccess(db, ids);
        return ids.map((id) => ({ status: 'fulfilled', value: found.get(id) ?? null }));
      },
      { maxInFlight: 2, maxBatch: 500 },
    );
    accessLookups.set(db, lookups);
  }
  return lookups.submit(userId);
}

/** Checks the current password, then sets the new one and ends every JWT issued before (API keys stay valid). */
export async function changePassword(
  db: Kysely<Database>,
  userId: string,
  change: { currentPassword: string; newPassword: string },
): Promise<void> {
  const user = await findUserById(db, userId);
  if (!user) throw new AccountGoneError();
  if (!(await verifyPassword(change.currentPassword, user.password_hash))) throw new WrongPasswordError();
  await setPasswordHash(db, userId, { passwordHash: await hashPassword(change.newPassword), endSessions: true });
}

/**
 * Makes sure the configured admin exists with the configured password (safe from several API replicas at once).
 * Refuses, changing nothing, when the email belongs to an account that is not an admin.
 */
export async function bootstrapAdmin(db: Kysely<Database>, admin: Credentials): Promise<UserView> {
  const email = normalizeEmail(admin.email);
  const user = await upsertAdmin(db, { email, passwordHash: await hashPassword(admin.password) });
  if (!user) throw new AdminBootstrapRefusedError(email);
  return toUserView(user);
}
