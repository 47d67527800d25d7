export { checkAddress, ipAddressOf, type BlockedAddress } from './address-check.js';
export { failedWithoutResponse, type AttemptResult } from './attempt-result.js';
export { BlockedAddressError } from './blocked-address-error.js';
export { createDnsCache, type DnsCache, type DnsCacheOptions, type Resolver } from './dns-cache.js';
export { createExecutor, type Executor, type ExecutorOptions } from './executor.js';
export { createGuardedConnector, createGuardedLookup, type GuardedConnectorOptions } from './guarded-connector.js';
export { createOutboundAgent, type OutboundAgentOptions } from './outbound-agent.js';
export { HTTP_METHODS, type HttpMethod, type OutboundRequest } from './outbound-request.js';
export { parseRetryAfter } from './retry-after.js';
