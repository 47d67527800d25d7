import { openSecret, sealSecret, type SecretKeys, type TaskRow } from '@punctual/db';

/** The master keys of a context that carries configuration's `secretsKey` and `secretsKeyPrevious`. */
export function secretKeysOf(context: { secretsKey: Buffer; secretsKeyPrevious?: Buffer | null }): SecretKeys {
  return { current: context.secretsKey, previous: context.secretsKeyPrevious ?? null };
}

/** Scheme, host and port of a URL, normalized (`HTTPS://Example.com:443/x` → `https://example.com`). */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/** Seals a task's bearer token for that task and the origin of the URL it goes to. */
export function sealTaskToken(keys: SecretKeys, task: { id: string; url: string }, token: string): string {
  return sealSecret(keys, { purpose: 'task token', subject: task.id, origin: originOf(task.url) }, token);
}

/** Seals a task's sensitive header values (null when there are none) for that task and its URL's origin. */
export function sealTaskHeaders(keys: SecretKeys, task: { id: string; url: string }, sensitive: Record<string, string>): string | null {
  if (Object.keys(sensitive).length === 0) return null;
  return sealSecret(keys, { purpose: 'task headers', subject: task.id, origin: originOf(task.url) }, JSON.stringify(sensitive));
}

/**
 * Opens a task's token and sensitive headers for its current URL. A secret sealed for another origin does not open
 * (SealedSecretError 'mismatch'): the API never lets a URL move without its secrets, so that is a row changed behind
 * its back, and the secret must not follow it.
 */
export function openTaskSecrets(keys: SecretKeys, task: TaskRow): { token: string | null; headers: Record<string, string> } {
  const origin = originOf(task.url);
  const headers =
    task.secret_headers === null
      ? {}
      : (JSON.parse(openSecret(keys, { purpose: 'task headers', subject: task.id, origin }, task.secret_headers)) as Record<
          string,
          string
        >);
  const token = task.token === null ? null : openSecret(keys, { purpose: 'task token', subject: task.id, origin }, task.token);
  return { token, headers };
}
