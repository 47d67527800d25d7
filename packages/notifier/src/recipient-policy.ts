/**
 * Whether `notify.email` may name `email`, so Punctual is no open mail relay: the owner's own address always; any other
 * only when the domain after its last `@` is exactly one of `allowedDomains` (NOTIFY_EMAIL_DOMAINS). Case-insensitive.
 * A subdomain is not its parent: allowing `example.com` does not allow `eu.example.com` (list it too).
 */
export function emailRecipientAllowed(email: string, ownerEmail: string, allowedDomains: readonly string[]): boolean {
  const address = email.toLowerCase();
  if (address === ownerEmail.toLowerCase()) return true;
  const at = address.lastIndexOf('@');
  if (at <= 0) return false;
  const domain = address.slice(at + 1);
  return domain !== '' && allowedDomains.some((allowed) => allowed.toLowerCase() === domain);
}
