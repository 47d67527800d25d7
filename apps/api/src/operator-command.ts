import { ConfigError } from '@punctual/config';
import { PostgresUnavailableError } from '@punctual/db';

/**
 * Runs an operator command's body and sets exit code 1 if it throws: a failure the operator can fix (configuration,
 * Postgres away) prints its one-line message, anything else prints `<what> failed:` with the error.
 */
export async function runOperatorCommand(what: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PostgresUnavailableError) {
      console.error(error.message);
    } else {
      console.error(`${what} failed:`, error);
    }
    process.exitCode = 1;
  }
}
