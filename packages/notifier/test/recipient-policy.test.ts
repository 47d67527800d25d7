import { describe, expect, it } from 'vitest';
import { emailRecipientAllowed } from '../src/recipient-policy.js';

describe('emailRecipientAllowed', () => {
  const owner = 'Owner@Example.com';
  const domains = ['ops.example.com', 'partner.test'];

  it.each([
    ['the owner, as registered', 'Owner@Example.com', true],
    ['the owner, in another case', 'owner@example.COM', true],
    ['an address in an allowed domain', 'alerts@ops.example.com', true],
    ['an allowed domain, in another case', 'Alerts@OPS.Example.Com', true],
    ['another allowed domain', 'x@partner.test', true],
    ["someone else at the owner's domain", 'colleague@example.com', false],
    ['a subdomain of an allowed domain', 'x@eu.ops.example.com', false],
    ['a parent of an allowed domain', 'x@example.com', false],
    ['a domain that merely ends like an allowed one', 'x@evilpartner.test', false],
    ['an allowed domain before the last @', '"a@partner.test"@evil.test', false],
    ['the last @ decides', '"x@evil.test"@partner.test', true],
    ['a trailing dot', 'x@partner.test.', false],
    ['no @', 'partner.test', false],
    ['nothing before the @', '@partner.test', false],
    ['nothing after the @', 'x@', false],
  ])('%s: %s → %s', (_case, email, allowed) => {
    expect(emailRecipientAllowed(email, owner, domains)).toBe(allowed);
  });

  it('allows only the owner when no domains are configured', () => {
    expect(emailRecipientAllowed('owner@example.com', owner, [])).toBe(true);
    expect(emailRecipientAllowed('x@partner.test', owner, [])).toBe(false);
  });
});
