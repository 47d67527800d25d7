import * as crypto from 'node:crypto';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * OWASP's Password Storage Cheat Sheet (2025): argon2id with m=19 MiB, t=2, p=1; where argon2 is missing (Node < 24.7
 * has no `crypto.argon2`), scrypt with N=2^17, r=8, p=1. The parameters travel with each hash, so a hash made with
 * weaker ones still verifies and is replaced at the owner's next login (see `needsRehash`).
 */
const ARGON2 = { memory: 19_456, passes: 2, parallelism: 1 } as const;
const SCRYPT = { N: 131_072, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const ARGON2_TAG_BYTES = 32;
const SCRYPT_KEY_BYTES = 64;

// Read once: `crypto.argon2` exists from Node 24.7 (stable, no warning on 24.22).
const argon2 = (crypto as Partial<Pick<typeof crypto, 'argon2'>>).argon2;

type ParsedHash =
  | { scheme: 'argon2id'; memory: number; passes: number; parallelism: number; salt: Buffer; hash: Buffer }
  | { scheme: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer };

/**
 * A new hash of `password` with the current parameters: argon2id as a PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, readable by any argon2 library), or `scrypt$N$r$p$salt$hash`.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  if (argon2) {
    const hash = await deriveArgon2(password, { scheme: 'argon2id', ...ARGON2, salt, hash: Buffer.alloc(ARGON2_TAG_BYTES) });
    const params = `m=${ARGON2.memory},t=${ARGON2.passes},p=${ARGON2.parallelism}`;
    return `$argon2id$v=19$${params}$${phcBase64(salt)}$${phcBase64(hash)}`;
  }
  const key = await deriveScrypt(password, salt, SCRYPT, SCRYPT_KEY_BYTES);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of a password against a stored hash (either scheme, any parameters); false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key =
    parsed.scheme === 'argon2id'
      ? await deriveArgon2(password, parsed)
      : await deriveScrypt(password, parsed.salt, { N: parsed.N, r: parsed.r, p: parsed.p }, parsed.hash.length);
  return key.length === parsed.hash.length && timingSafeEqual(key, parsed.hash);
}

/** Whether a stored hash was made with another scheme or weaker parameters than `hashPassword` uses now. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  if (argon2) {
    return (
      parsed.scheme !== 'argon2id' ||
      parsed.memory < ARGON2.memory ||
      parsed.passes < ARGON2.passes ||
      parsed.hash.length < ARGON2_TAG_BYTES
    );
  }
  return parsed.scheme !== 'scrypt' || parsed.N < SCRYPT.N || parsed.r < SCRYPT.r || parsed.hash.length < SCRYPT_KEY_BYTES;
}

let unknownUserHash: Promise<string> | undefined;

/** A hash to compare against when the email is unknown, so both failures do the same work. */
export function hashForUnknownUser(): Promise<string> {
  unknownUserHash ??= hashPassword(randomBytes(16).toString('hex'));
  return unknownUserHash;
}

function deriveArgon2(password: string, params: Extract<ParsedHash, { scheme: 'argon2id' }>): Promise<Buffer> {
  if (!argon2) {
    return Promise.reject(new Error('this password hash is argon2id, which needs Node.js 24.7 or later (crypto.argon2)'));
  }
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: password.normalize('NFKC'),
        nonce: params.salt,
        memory: params.memory,
        passes: params.passes,
        parallelism: params.parallelism,
        tagLength: params.hash.length,
      },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

function deriveScrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number }, keyBytes: number): Promise<Buffer> {
  // scrypt needs 128·N·r bytes (128 MiB at N=2^17); Node's default cap is 32 MiB.
  const maxmem = 256 * params.N * params.r;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyBytes, { ...params, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const ARGON2_PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parseHash(stored: string): ParsedHash | null {
  const phc = ARGON2_PHC.exec(stored);
  if (phc) {
    const [, m, t, p, salt, hash] = phc as unknown as [string, string, string, string, string, string];
    return {
      scheme: 'argon2id',
      memory: Number(m),
      passes: Number(t),
      parallelism: Number(p),
      salt: Buffer.from(salt, 'base64'),
      hash: Buffer.from(hash, 'base64'),
    };
  }
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash || rest.length > 0) return null;
  return {
    scheme,
    N: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64url'),
    hash: Buffer.from(hash, 'base64url'),
  };
}

/** The PHC string format's base64: standard alphabet, no padding. */
function phcBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
