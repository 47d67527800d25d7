import { randomBytes, scryptSync } from 'node:crypto';
import { hashPassword, needsRehash, verifyPassword } from '@punctual/core';
import { describe, expect, it } from 'vitest';

const legacyScrypt = (password: string, N: number) => {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 64, { N, r: 8, p: 1, maxmem: 256 * N * 8 });
  return ['scrypt', N, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
};

describe('password hashes', () => {
  it('verifies the password it hashed, and refuses another', async () => {
    const hash = await hashPassword('correct horse battery');

    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterx', hash)).toBe(false);
  });

  it('salts each hash: the same password hashes differently twice', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('treats canonically equivalent Unicode spellings as the same password (NFKC)', async () => {
    const hash = await hashPassword('caf\u00e9 au lait');

    expect(await verifyPassword('cafe\u0301 au lait', hash)).toBe(true);
  });

  it('still verifies the scrypt hashes stored before argon2id (N=2^14)', async () => {
    expect(await verifyPassword('old password', legacyScrypt('old password', 16_384))).toBe(true);
    expect(await verifyPassword('other password', legacyScrypt('old password', 16_384))).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['an unknown scheme', 'bcrypt$2b$10$abc'],
    ['scrypt with a part missing', 'scrypt$16384$8$1$c2FsdA'],
    ['argon2id with a part missing', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA'],
    ['argon2i (not argon2id)', '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'],
  ])('refuses a malformed stored hash (%s) without throwing', async (_label, stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false);
  });

  it.each([
    ['scrypt N=2^14 (the old default)', () => legacyScrypt('pw', 16_384), true],
    [
      'argon2id with less memory than 19 MiB',
      () => '$argon2id$v=19$m=4096,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
      true,
    ],
    [
      'argon2id with one pass',
      () => '$argon2id$v=19$m=19456,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
      true,
    ],
    [
      'argon2id at m=19 MiB, t=2, p=1',
      () => '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
      false,
    ],
    ['garbage', () => 'not a hash', true],
  ])('needsRehash: %s → %s', (_label, stored, expected) => {
    expect(needsRehash(stored())).toBe(expected);
  });

  it('a fresh hash needs no rehash', async () => {
    expect(needsRehash(await hashPassword('fresh'))).toBe(false);
  });
});
