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

export class InvalidTransitionError extends PunctualError {
  constructor(operation: string, status: string) {
    super(409, 'PUNCTUAL_INVALID_TRANSITION', `cannot ${operation} a task that is ${status}`);
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

export class RegistrationDisabledError extends PunctualError {
  constructor() {
    super(403, 'PUNCTUAL_REGISTRATION_DISABLED', 'registration is disabled on this server');
  }
}
