import { Agent } from 'undici';
import { createDnsCache, type Resolver } from './dns-cache.js';
import { createGuardedConnector } from './guarded-connector.js';

export interface OutboundAgentOptions {
  /**
   * Let calls reach loopback, private, link-local and other blocked addresses (ALLOW_PRIVATE_TARGETS: development and
   * tests against a local target). Default false: such a connection is refused before anything is sent.
   */
  allowPrivateTargets?: boolean;
  /** Resolves host names; default the system resolver. Answers are cached for `dnsCacheTtlMs` (default 30 s). */
  resolve?: Resolver;
  dnsCacheTtlMs?: number;
}

/**
 * Builds the keep-alive Agent the executor dispatches through: the one place outbound connections are configured,
 * each through the address guard (`createGuardedConnector`) and a per-Agent DNS cache.
 */
export function createOutboundAgent(options: OutboundAgentOptions = {}): Agent {
  const connect = createGuardedConnector({
    // undici's own 10 s connect timer would cut attempts whose deadline is longer: the attempt's deadline
    // (timeoutMs ≤ 300 s) is what bounds connecting, so this is only a backstop at the largest deadline.
    connect: { timeout: 300_000 },
    dnsCache: createDnsCache({ resolve: options.resolve, ttlMs: options.dnsCacheTtlMs }),
    allowPrivateTargets: options.allowPrivateTargets ?? false,
  });
  return new Agent({
    // Reuse connections to targets called often, but let idle ones go well before typical server timeouts.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    connect,
  });
}
