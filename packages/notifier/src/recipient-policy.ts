/**
 * Whether `notify.email` may name `email`, so Punctual is no open mail relay: the owner's own address always; any other
 * only when its domain is allowed (see emailDomainAllowed). Case-insensitive.
 */
export function emailRecipientAllowed(email: string, ownerEmail: string, allowedDomains: readonly string[]): boolean {
  return email.toLowerCase() === ownerEmail.toLowerCase() || emailDomainAllowed(email, allowedDomains);
}

/**
 * Whether the domain after the last `@` of `email` is exactly one of `allowedDomains` (NOTIFY_EMAIL_DOMAINS),
 * case-insensitive. A subdomain is not its parent: allowing `example.com` does not allow `eu.example.com` (list it too).
 */
export function emailDomainAllowed(email: string, allowedDomains: readonly string[]): boolean {
  const address = email.toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0) return false;
  const domain = address.slice(at + 1);
  return domain !== '' && allowedDomains.some((allowed) => allowed.toLowerCase() === domain);
}
