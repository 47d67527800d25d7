import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { keyIdOf, needsResealing, openSecret, sealSecret, SealedSecretError, type SecretBinding } from '@punctual/db';
import { describe, expect, it } from 'vitest';

const current = randomBytes(32);
const previous = randomBytes(32);
const token: SecretBinding = { purpose: 'task token', subject: randomUUID(), origin: 'https://api.example.com' };

/** How v1 (before HKDF sub-keys and bindings) sealed: AES-256-GCM under the raw key, no authenticated data. */
function sealV1(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

function problemOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof SealedSecretError) return error.problem;
    throw error;
  }
  return 'opened';
}

describe('secret box v2', () => {
  it('round-trips a secret as v2.<key id>.<iv>.<tag>.<ciphertext> and never stores it in clear', () => {
    const sealed = sealSecret({ current }, token, 'Bearer top-secret ✓');
    expect(sealed).not.toContain('top-secret');
    const [version, kid, iv, tag, ciphertext] = sealed.split('.');
    expect(version).toBe('v2');
    expect(kid).toBe(keyIdOf(current));
    expect(kid).toMatch(/^[0-9a-f]{8}$/);
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
    expect(ciphertext).toBeTruthy();
    expect(openSecret({ current }, token, sealed)).toBe('Bearer top-secret ✓');
  });

  it('seals the same secret differently each time', () => {
    expect(sealSecret({ current }, token, 'x')).not.toBe(sealSecret({ current }, token, 'x'));
  });

  it('refuses a tampered ciphertext, tag or key id, and what is not a sealed value', () => {
    const parts = sealSecret({ current }, token, 'secret').split('.');
    const withPart = (index: number, value: string) => parts.map((part, i) => (i === index ? value : part)).join('.');
    expect(problemOf(() => openSecret({ current }, token, withPart(4, Buffer.from('tampered').toString('base64url'))))).toBe('mismatch');
    expect(problemOf(() => openSecret({ current }, token, withPart(3, Buffer.alloc(16).toString('base64url'))))).toBe('mismatch');
    // A truncated tag would weaken GCM: only the full 16 bytes are accepted.
    expect(problemOf(() => openSecret({ current }, token, withPart(3, parts[3]!.slice(0, 8))))).toBe('mismatch');
    expect(problemOf(() => openSecret({ current }, token, withPart(1, '00000000')))).toBe('unknown key');
    expect(problemOf(() => openSecret({ current }, token, 'garbage'))).toBe('malformed');
  });

  it('opens only for the task, origin and purpose it was sealed for', () => {
    const sealed = sealSecret({ current }, token, 'secret');
    expect(problemOf(() => openSecret({ current }, { ...token, subject: randomUUID() }, sealed))).toBe('mismatch');
    expect(problemOf(() => openSecret({ current }, { ...token, origin: 'https://evil.example' }, sealed))).toBe('mismatch');
    expect(problemOf(() => openSecret({ current }, { ...token, origin: 'http://api.example.com' }, sealed))).toBe('mismatch');
    expect(problemOf(() => openSecret({ current }, { ...token, purpose: 'task headers' }, sealed))).toBe('mismatch');
  });

  it('refuses a value sealed under a key it does not hold, naming that', () => {
    const sealed = sealSecret({ current: randomBytes(32) }, token, 'secret');
    expect(() => openSecret({ current, previous }, token, sealed)).toThrow(/neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS/);
  });

  it('opens a value sealed with the previous key, by its key id', () => {
    const sealed = sealSecret({ current: previous }, token, 'from before the rotation');
    expect(openSecret({ current, previous }, token, sealed)).toBe('from before the rotation');
    expect(problemOf(() => openSecret({ current }, token, sealed))).toBe('unknown key');
  });

  it('opens a v1 value (what rows held before v2) with either key', () => {
    expect(openSecret({ current }, token, sealV1(current, 'old'))).toBe('old');
    expect(openSecret({ current, previous }, token, sealV1(previous, 'older'))).toBe('older');
    expect(problemOf(() => openSecret({ current }, token, sealV1(previous, 'x')))).toBe('mismatch');
  });

  it('says which values need sealing again under the current key', () => {
    expect(needsResealing({ current }, sealSecret({ current }, token, 'x'))).toBe(false);
    expect(needsResealing({ current, previous }, sealSecret({ current: previous }, token, 'x'))).toBe(true);
    expect(needsResealing({ current }, sealV1(current, 'x'))).toBe(true);
  });
});
