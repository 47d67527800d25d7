import { createHmac } from 'node:crypto';

/** What signs one call: the message id (`webhook-id`) and the `whsec_…` secrets to sign with, current first. */
export interface WebhookSigning {
  id: string;
  secrets: readonly string[];
}

/**
 * One Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the bytes the
 * secret's base64 after `whsec_` stands for.
 */
export function webhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`;
}

/**
 * The Standard Webhooks headers of one call: `webhook-id`, `webhook-timestamp` (unix seconds of `now`) and
 * `webhook-signature`, one space-separated signature per secret (two during the day after a rotation).
 */
export function webhookHeaders(signing: WebhookSigning, body: string, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': signing.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signing.secrets.map((secret) => webhookSignature(secret, signing.id, timestamp, body)).join(' '),
  };
}
