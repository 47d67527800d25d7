/** Where a run of the CLI reads and writes: the process's streams in `main.ts`, captured ones in tests. */
export interface CliIo {
  /** Passwords (`--password-stdin`), `--from-file -`, and the answers to prompts when it is a terminal. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: OutputStream;
  /** Errors, warnings and prompts: stdout carries only the answer, so `--json` output can be piped. */
  stderr: OutputStream;
  /** The environment the configuration is read from (`PUNCTUAL_URL`, `PUNCTUAL_API_KEY`, `XDG_CONFIG_HOME`, `HOME`). */
  env: Readonly<Record<string, string | undefined>>;
  /** The clock relative times are shown against. */
  now?: () => Date;
}

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** The running process's own streams and environment. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}
