import { Agent } from 'undici';

/**
 * Builds the keep-alive Agent the executor dispatches through. This is the one place outbound connections are
 * configured, so an SSRF guard can pass its own `connect` (a connector with a checking `lookup`) here.
 */
export function createOutboundAgent(options: Agent.Options = {}): Agent {
  return new Agent({
    // Reuse connections to targets called often, but let idle ones go well before typical server timeouts.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    // undici's own 10 s connect timer would cut attempts whose deadline is longer: the attempt's deadline
    // (timeoutMs ≤ 300 s) is what bounds connecting, so this is only a backstop at the largest deadline.
    connect: { timeout: 300_000 },
    ...options,
  });
}
