import { randomBytes } from 'node:crypto';
import { openSecret, sealSecret } from '@punctual/db';
import { describe, expect, it } from 'vitest';

describe('secret box', () => {
  const key = randomBytes(32);

  it('round-trips a secret and never stores it in clear', () => {
    const sealed = sealSecret(key, 'Bearer top-secret ✓');
    expect(sealed).not.toContain('top-secret');
    expect(openSecret(key, sealed)).toBe('Bearer top-secret ✓');
  });

  it('seals the same secret differently each time', () => {
    expect(sealSecret(key, 'x')).not.toBe(sealSecret(key, 'x'));
  });

  it('refuses another key and a tampered value', () => {
    const sealed = sealSecret(key, 'secret');
    expect(() => openSecret(randomBytes(32), sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => openSecret(key, parts.join('.'))).toThrow();
    expect(() => openSecret(key, 'garbage')).toThrow('not a sealed secret');
  });
});
