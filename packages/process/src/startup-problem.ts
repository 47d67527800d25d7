/**
 * Awaits an entry point's start-up step. A problem an operator can fix (`isProblem`: an invalid variable, a server that
 * does not answer) is printed as its own line(s), without a stack trace, and the process exits 1; anything else is
 * thrown on.
 */
export async function exitOnStartupProblem<T>(starting: Promise<T>, isProblem: (error: unknown) => error is Error): Promise<T> {
  try {
    return await starting;
  } catch (error) {
    if (!isProblem(error)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
