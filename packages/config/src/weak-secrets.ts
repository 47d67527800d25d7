import { createHash } from 'node:crypto';

/**
 * Values published in this repository (templates, compose defaults, the development key) and the usual stand-ins. A
 * secret that contains one of these words is someone's placeholder, not a random value.
 */
const PLACEHOLDER_WORDS = [
  'replace_me',
  'replace-me',
  'replaceme',
  'changeme',
  'change_me',
  'change-me',
  'changeit',
  'placeholder',
  'your-secret',
  'your_secret',
];
const PLACEHOLDER_VALUES = new Set([
  'secret',
  'password',
  'jwt_secret',
  'jwt-secret',
  'secrets_key',
  'secrets-key',
  'punctual',
  'development',
  'test',
]);

/** The key development runs with when SECRETS_KEY is unset: public, so never acceptable in production. */
export const DEVELOPMENT_SECRETS_KEY = createHash('sha256').update('punctual-development-secrets-key').digest();

const MIN_JWT_SECRET_BYTES = 32;
// Random text of 32+ characters has far more; a value below these is a pattern someone typed.
const MIN_DISTINCT_JWT_CHARACTERS = 8;
const MIN_DISTINCT_KEY_BYTES = 16;

/** Why `secret` is too weak to sign tokens in production, or null when it is not. Never includes the value. */
export function jwtSecretWeakness(secret: string): string | null {
  if (Buffer.byteLength(secret) < MIN_JWT_SECRET_BYTES) return `is shorter than ${MIN_JWT_SECRET_BYTES} bytes`;
  if (isPlaceholder(secret)) return 'is a placeholder from a template or example';
  if (new Set(secret).size < MIN_DISTINCT_JWT_CHARACTERS) {
    return `has fewer than ${MIN_DISTINCT_JWT_CHARACTERS} distinct characters (a repeated or typed pattern)`;
  }
  return null;
}

/** Why the decoded `key` is too weak to seal secrets at rest in production, or null when it is not. */
export function secretsKeyWeakness(encoded: string, key: Buffer): string | null {
  if (isPlaceholder(encoded) || key.equals(DEVELOPMENT_SECRETS_KEY)) return 'is a placeholder or the public development key';
  if (new Set(key).size < MIN_DISTINCT_KEY_BYTES) {
    return `decodes to fewer than ${MIN_DISTINCT_KEY_BYTES} distinct bytes (all zero, or another repeated pattern)`;
  }
  return null;
}

const MIN_ADMIN_PASSWORD_CHARACTERS = 12;

/**
 * Why the bootstrap admin's password is too weak for production, or null when it is not. The bootstrap writes it as an
 * admin's password at every start, so a template's placeholder would be a published admin password.
 */
export function adminPasswordWeakness(password: string): string | null {
  if (isPlaceholder(password)) return 'is a placeholder from a template or example';
  if ([...password].length < MIN_ADMIN_PASSWORD_CHARACTERS) return `is shorter than ${MIN_ADMIN_PASSWORD_CHARACTERS} characters`;
  return null;
}

function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  return PLACEHOLDER_VALUES.has(lower) || PLACEHOLDER_WORDS.some((word) => lower.includes(word));
}
