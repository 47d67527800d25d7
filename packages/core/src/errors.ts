/**
 * The registry of errors a client can cause, each with a stable `code` and the HTTP status it maps to.
 * The API's one error handler turns them into the contract's `{ statusCode, error, message, code }` shape.
 */
export class PunctualError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A client error's message: fixed, or built from the constructor's arguments. */
type ErrorMessage<Args extends unknown[]> = string | ((...args: Args) => string);

/**
 * One registry entry, in the style of `@fastify/error`'s createError: the status, the stable code and the message.
 * Returns a class to extend (`export class XError extends defineError(…) {}`), so each error keeps its own name for
 * `instanceof` and the log, and its constructor takes what the message needs.
 */
export function defineError<Args extends unknown[] = []>(statusCode: number, code: string, message: ErrorMessage<Args>) {
  return class extends PunctualError {
    constructor(...args: Args) {
      super(statusCode, code, typeof message === 'string' ? message : message(...args));
    }
  };
}

/** A value the schema allowed but a rule did not; `field` is the path, e.g. `body/headers/Host`. */
export class InvalidInputError extends defineError(
  400,
  'PUNCTUAL_INVALID_INPUT',
  (field: string, problem: string) => `${field} ${problem}`,
) {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(field, problem);
  }
}

export class NotFoundError extends defineError(404, 'PUNCTUAL_NOT_FOUND', (what: string) => `${what} not found`) {}

/** An operation the task's status does not allow; the message comes from scheduling's transition table. */
export class InvalidTransitionError extends defineError(409, 'PUNCTUAL_INVALID_TRANSITION', (message: string) => message) {}

/** An Idempotency-Key the user sent within 24 h with another request body. */
export class IdempotencyKeyReusedError extends defineError(
  409,
  'PUNCTUAL_IDEMPOTENCY_KEY_REUSED',
  'headers/idempotency-key was already used with a different request body in the last 24 hours; use a new key for a new task',
) {}

/** The user already has MAX_TASKS_PER_USER live tasks; the contract fixes this code. */
export class QuotaExceededError extends defineError(
  403,
  'QUOTA_EXCEEDED',
  (maxTasks: number) =>
    `the task quota is reached: at most ${maxTasks} live (not completed, failed or cancelled) tasks per user; cancel or delete one first`,
) {
  constructor(readonly maxTasks: number) {
    super(maxTasks);
  }
}

/** Too many requests in the rate-limit window (per user, or per client IP on register and login). */
export class RateLimitedError extends defineError(
  429,
  'PUNCTUAL_RATE_LIMITED',
  (max: number, retryAfter: string) => `too many requests: at most ${max} per minute; retry in ${retryAfter}`,
) {}

export class EmailTakenError extends defineError(409, 'PUNCTUAL_EMAIL_TAKEN', 'body/email is already registered') {}

export class InvalidCredentialsError extends defineError(401, 'PUNCTUAL_INVALID_CREDENTIALS', 'invalid email or password') {}

/** A validly signed token whose account has been deleted since it was issued. */
export class AccountGoneError extends defineError(401, 'PUNCTUAL_ACCOUNT_GONE', 'the account of this token no longer exists') {}

/**
 * Postgres refused a row whose `user_id` names no user (23503 on a `<table>_user_id_fkey`): the caller's token outlived
 * its account. Checked where a user-owned row is inserted, so no request pays an extra query to look the account up.
 */
export function isAccountGone(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23503' && typeof constraint === 'string' && constraint.endsWith('_user_id_fkey');
}

export class RegistrationDisabledError extends defineError(
  403,
  'PUNCTUAL_REGISTRATION_DISABLED',
  'registration is disabled on this server',
) {}

/** No route matches the method and path. */
export class RouteNotFoundError extends defineError(
  404,
  'PUNCTUAL_ROUTE_NOT_FOUND',
  (method: string, path: string) => `route ${method} ${path} not found`,
) {}

/** Postgres refused a value the schema let through (a data exception, class 22: out-of-range number, bad encoding). */
export class UnstorableValueError extends defineError(400, 'PUNCTUAL_UNSTORABLE_VALUE', 'a value in the request cannot be stored') {}

/** Postgres is not answering; the client may try again after `retryAfterSeconds`. */
export class DatabaseUnavailableError extends defineError(
  503,
  'PUNCTUAL_DATABASE_UNAVAILABLE',
  'the database is not answering; try again shortly',
) {
  readonly retryAfterSeconds = 5;
}

/** Anything unforeseen: the client learns only that it was not their fault (the details go to the log). */
export class InternalError extends defineError(500, 'PUNCTUAL_INTERNAL', 'something went wrong on our side') {}

/** No credential, or one that is malformed, forged, expired or revoked. */
export class UnauthorizedError extends defineError(401, 'PUNCTUAL_UNAUTHORIZED', (message: string) => message) {}

/** A disabled account: its JWTs and API keys answer 401 from the next request on, and it cannot log in. */
export class AccountDisabledError extends defineError(401, 'PUNCTUAL_ACCOUNT_DISABLED', 'this account is disabled') {}

/** A JWT issued before the account's password was changed. */
export class SessionEndedError extends defineError(
  401,
  'PUNCTUAL_SESSION_ENDED',
  'this session ended when the password was changed; log in again',
) {}

/** A `read` API key on a route that changes something. */
export class InsufficientScopeError extends defineError(
  403,
  'PUNCTUAL_INSUFFICIENT_SCOPE',
  'insufficient scope: a read API key may only use GET routes',
) {}

/** An API key on a route that manages credentials (API keys, the signing secret, the password). */
export class SessionRequiredError extends defineError(
  403,
  'PUNCTUAL_SESSION_REQUIRED',
  'API keys cannot manage credentials: log in and use the session token (JWT)',
) {}

/** A user (not an admin) on an admin route. */
export class AdminRequiredError extends defineError(403, 'PUNCTUAL_ADMIN_REQUIRED', 'only an admin may do this') {}

/** The current password sent with a password change is wrong. */
export class WrongPasswordError extends defineError(
  403,
  'PUNCTUAL_WRONG_PASSWORD',
  "body/currentPassword is not this account's password",
) {}

/** A change that would leave no active admin: disabling, demoting or deleting the last one. */
export class LastAdminError extends defineError(
  409,
  'PUNCTUAL_LAST_ADMIN',
  (operation: 'disable' | 'demote' | 'delete') => `cannot ${operation} the last active admin: make another user an admin first`,
) {}

/** A user already holds as many API keys as allowed. */
export class ApiKeyLimitError extends defineError(
  409,
  'PUNCTUAL_API_KEY_LIMIT',
  (limit: number) => `at most ${limit} API keys per user: delete one first`,
) {}

/**
 * Not a client's error but an operator's: `ADMIN_EMAIL` names an account that is not an admin, which a restart must not
 * promote (anyone could have registered that email first). The API prints the message and exits.
 */
export class AdminBootstrapRefusedError extends Error {
  readonly code = 'PUNCTUAL_ADMIN_BOOTSTRAP_REFUSED';
  constructor(email: string) {
    super(
      `ADMIN_EMAIL ${email} belongs to an existing account that is not an admin; refusing to promote it. ` +
        'Choose another ADMIN_EMAIL, or have an admin promote that account (PATCH /api/v1/users/:id).',
    );
    this.name = 'AdminBootstrapRefusedError';
  }
}
