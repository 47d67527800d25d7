export { EMAIL_EVENTS, type EmailEvent, type EmailFacts, type EmailMessage } from './email-facts.js';
export { renderEmail, SUBJECT_MAX_LENGTH, type RenderEmailOptions } from './render-email.js';
export {
  createMailer,
  DEFAULT_SMTP_TIMEOUT_MS,
  EmailDeliveryError,
  isPermanentEmailFailure,
  type Mailer,
  type MailerOptions,
} from './mailer.js';
export { emailDomainAllowed, emailRecipientAllowed } from './recipient-policy.js';
