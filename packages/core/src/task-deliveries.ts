import { findUserById, type CallbacksColumn, type DbExecutor, type NotifyColumn } from '@punctual/db';
import { emailDomainAllowed, emailRecipientAllowed } from '@punctual/notifier';
import { InvalidInputError } from './errors.js';
import { checkTargetUrl, type TargetPolicy } from './task-input.js';

/** The callback events a task may name, in the order they are checked (and named in errors). */
const CALLBACK_EVENTS = ['onSuccess', 'onFailure'] as const satisfies readonly (keyof CallbacksColumn)[];

/**
 * A task's callbacks as stored: each URL checked and normalized exactly as the task's `url` is (400 naming
 * `body/callbacks/onSuccess` …), null when there are none (`null` or `{}` given).
 */
export function checkCallbacks(callbacks: CallbacksColumn | null, policy: TargetPolicy): CallbacksColumn | null {
  if (callbacks === null) return null;
  const checked: CallbacksColumn = {};
  for (const event of CALLBACK_EVENTS) {
    const url = callbacks[event];
    if (url !== undefined) checked[event] = checkTargetUrl(url, policy, `body/callbacks/${event}`);
  }
  return Object.keys(checked).length === 0 ? null : checked;
}

/**
 * Refuses (400 naming `body/notify/email`) an address Punctual may not mail for the task's owner, so that no one can
 * use it as an open relay. The owner's email is read only when the domain alone does not settle it.
 */
export async function checkNotifyEmail(
  db: DbExecutor,
  request: { email: string | undefined; ownerId: string; allowedDomains: readonly string[] },
): Promise<void> {
  const { email, ownerId, allowedDomains } = request;
  if (email === undefined || emailDomainAllowed(email, allowedDomains)) return;
  const owner = await findUserById(db, ownerId);
  if (owner !== null && emailRecipientAllowed(email, owner.email, allowedDomains)) return;
  throw new InvalidInputError(
    'body/notify/email',
    "must be the task owner's own email or in a domain this server allows (NOTIFY_EMAIL_DOMAINS): Punctual is no open " +
      'mail relay; ask an admin to add the domain',
  );
}

/** `notify.afterConsecutiveFailures` counts runs of a schedule: a one-off task has one run, so it is refused there. */
export function checkFailureStreak(notify: NotifyColumn, recurring: boolean): void {
  if (notify.afterConsecutiveFailures !== undefined && !recurring) {
    throw new InvalidInputError(
      'body/notify/afterConsecutiveFailures',
      'applies to recurring tasks only (give cron, or set it to null when making the task one-off)',
    );
  }
}
