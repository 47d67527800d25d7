export { EMAIL_EVENTS, type EmailEvent, type EmailFacts, type EmailMessage } from './email-facts.js';
