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

/** A value the schema allowed but a rule did not; `field` is the path, e.g. `body/headers/Host`. */
export class InvalidInputError extends PunctualError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(400, 'PUNCTUAL_INVALID_INPUT', `${field} ${problem}`);
  }
}

export class NotFoundError extends PunctualError {
  constructor(what: string) {
    super(404, 'PUNCTUAL_NOT_FOUND', `${what} not found`);
  }
}

/** An operation the task's status does not allow; the message comes from scheduling's transition table. */
export class InvalidTransitionError extends PunctualError {
  constructor(message: string) {
    super(409, 'PUNCTUAL_INVALID_TRANSITION', message);
  }
}

/** An Idempotency-Key the user sent within 24 h with another request body. */
export class IdempotencyKeyReusedError extends PunctualError {
  constructor() {
    super(
      409,
      'PUNCTUAL_IDEMPOTENCY_KEY_REUSED',
      'headers/idempotency-key was already used with a different request body in the last 24 hours; use a new key for a new task',
    );
  }
}

export class EmailTakenError extends PunctualError {
  constructor() {
    super(409, 'PUNCTUAL_EMAIL_TAKEN', 'body/email is already registered');
  }
}

export class InvalidCredentialsError extends PunctualError {
  constructor() {
    super(401, 'PUNCTUAL_INVALID_CREDENTIALS', 'invalid email or password');
  }
}

/** A validly signed token whose account has been deleted since it was issued. */
export class AccountGoneError extends PunctualError {
  constructor() {
    super(401, 'PUNCTUAL_ACCOUNT_GONE', 'the account of this token no longer exists');
  }
}

/**
 * Postgres refused a row whose `user_id` names no user (23503 on a `<table>_user_id_fkey`): the caller's token outlived
 * its account. Checked where a user-owned row is inserted, so no request pays an extra query to look the account up.
 */
export function isAccountGone(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23503' && typeof constraint === 'string' && constraint.endsWith('_user_id_fkey');
}

export class RegistrationDisabledError extends PunctualError {
  constructor() {
    super(403, 'PUNCTUAL_REGISTRATION_DISABLED', 'registration is disabled on this server');
  }
}
