import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** What a sealed value is for: each purpose has its own sub-key, so a value sealed for one never opens as another. */
export type SecretPurpose = 'task token' | 'task headers' | 'signing secret';

/** The master keys (32 bytes each): `current` seals and opens; `previous`, the key before a rotation, only opens. */
export interface SecretKeys {
  current: Buffer;
  previous?: Buffer | null;
}

/**
 * What a sealed value is bound to, as authenticated data: opening it for another subject (task or user id) or another
 * origin fails as a tampered value would.
 */
export interface SecretBinding {
  purpose: SecretPurpose;
  /** The task id (task secrets) or user id (signing secrets). */
  subject: string;
  /** The origin (`https://host:port`) a task secret may be sent to; none for a signing secret. */
  origin?: string;
}

/** Why a sealed value did not open. */
export type SealedSecretProblem = 'malformed' | 'unknown key' | 'mismatch';

/** A sealed value that does not open: not one of ours, sealed under a key we do not hold, or tampered or bound elsewhere. */
export class SealedSecretError extends Error {
  constructor(
    readonly problem: SealedSecretProblem,
    message: string,
  ) {
    super(message);
    this.name = 'SealedSecretError';
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key's public id, carried by every value it seals: the first 8 hex digits of its sha256. */
export function keyIdOf(key: Buffer): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = createHash('sha256').update(key).digest('hex').slice(0, 8);
    keyIds.set(key, id);
  }
  return id;
}

// A key's id and sub-keys are derived once per key Buffer (keys are read from the configuration once and never
// changed): a worker opens the owner's signing secret for every attempt, and a hash and an HKDF per open were ~2 % of
// its CPU. Only what derives from the master keys is kept, never an opened secret.
const keyIds = new WeakMap<Buffer, string>();
const subKeys = new WeakMap<Buffer, Map<SecretPurpose, Buffer>>();

/**
 * Seals a secret: AES-256-GCM under the purpose's HKDF-SHA256 sub-key of `keys.current`, a random 12-byte IV, a
 * 16-byte tag, and the binding as authenticated data. Format `v2.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts).
 */
export function sealSecret(keys: SecretKeys, binding: SecretBinding, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', subKey(keys.current, binding.purpose), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(binding));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v2',
    keyIdOf(keys.current),
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    ciphertext.toString('base64url'),
  ].join('.');
}

/**
 * Opens what `sealSecret` sealed, with whichever of the keys its key id names, for exactly the binding it was sealed
 * with. A v1 value (raw key, no binding: what rows held before v2) opens with either key; `pnpm secrets:rotate`
 * re-seals it as v2. Throws a SealedSecretError otherwise.
 */
export function openSecret(keys: SecretKeys, binding: SecretBinding, sealed: string): string {
  const parts = sealed.split('.');
  if (parts[0] === 'v1' && parts.length === 4) return openV1(keys, parts);
  const [version, kid, iv, tag, ciphertext] = parts;
  if (version !== 'v2' || parts.length !== 5 || !kid || !iv || !tag || ciphertext === undefined) {
    throw new SealedSecretError('malformed', 'not a sealed secret');
  }
  const key = [keys.current, keys.previous].find((candidate) => candidate && keyIdOf(candidate) === kid);
  if (!key) throw new SealedSecretError('unknown key', `sealed under key ${kid}, which is neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', subKey(key, binding.purpose), Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(additionalData(binding));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedSecretError(
      'mismatch',
      `does not open as the ${binding.purpose} of ${binding.subject}: tampered with, or sealed for another one`,
    );
  }
}

/** Whether a sealed value should be sealed again under `keys.current`: it is v1, or carries another key's id. */
export function needsResealing(keys: SecretKeys, sealed: string): boolean {
  return !sealed.startsWith(`v2.${keyIdOf(keys.current)}.`);
}

function openV1(keys: SecretKeys, [, iv, tag, ciphertext]: string[]): string {
  for (const key of [keys.current, keys.previous]) {
    if (!key) continue;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // Try the other key.
    }
  }
  throw new SealedSecretError('mismatch', 'a v1 sealed value that neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS opens');
}

/** One sub-key per purpose, so the master key itself never encrypts anything. */
function subKey(master: Buffer, purpose: SecretPurpose): Buffer {
  let byPurpose = subKeys.get(master);
  if (!byPurpose) subKeys.set(master, (byPurpose = new Map<SecretPurpose, Buffer>()));
  let key = byPurpose.get(purpose);
  if (!key) byPurpose.set(purpose, (key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `punctual ${purpose} v2`, 32))));
  return key;
}

function additionalData(binding: SecretBinding): Buffer {
  return Buffer.from(JSON.stringify(['punctual', binding.purpose, binding.subject, binding.origin ?? null]), 'utf8');
}
