export type { AttemptResult } from './attempt-result.js';
export { createExecutor, type Executor, type ExecutorOptions } from './executor.js';
export { createOutboundAgent } from './outbound-agent.js';
export type { HttpMethod, OutboundRequest } from './outbound-request.js';
export { parseRetryAfter } from './retry-after.js';
export { webhookHeaders, webhookSignature, type WebhookSigning } from './webhook-signature.js';
