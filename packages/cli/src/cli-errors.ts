/** Exit codes: 0 success, 1 the work failed (an API error, an unreachable server, no credentials), 2 a usage error. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Ctrl-C at a prompt: 128 + SIGINT, as a shell reports it. */
export const EXIT_INTERRUPTED = 130;

/** A failure the CLI explains in one line on stderr, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    /** The API's status code, when the API answered with an error. */
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line asks for something that cannot be done as written (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}
