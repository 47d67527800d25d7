import type { Migration } from 'kysely/migration';
import * as initialSchema from './0001-initial-schema.js';
import * as taskControl from './0002-task-control.js';
import * as idempotencyKeys from './0003-idempotency-keys.js';
import * as searchIndexes from './0004-search-indexes.js';
import * as signingSecrets from './0005-signing-secrets.js';
import * as credentials from './0006-credentials.js';
import * as rateLimitCounters from './0007-rate-limit-counters.js';
import * as taskTags from './0008-task-tags.js';
import * as taskQuotaBounds from './0009-task-quota-bounds.js';
import * as taskSearch from './0010-task-search.js';
import * as notifications from './0011-notifications.js';
import * as deliveryPolicies from './0012-delivery-policies.js';
import * as attemptSlots from './0013-attempt-slots.js';

/** Every migration, in order. Names sort as they run; never rename or edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-initial-schema': initialSchema,
  '0002-task-control': taskControl,
  '0003-idempotency-keys': idempotencyKeys,
  '0004-search-indexes': searchIndexes,
  '0005-signing-secrets': signingSecrets,
  '0006-credentials': credentials,
  '0007-rate-limit-counters': rateLimitCounters,
  '0008-task-tags': taskTags,
  '0009-task-quota-bounds': taskQuotaBounds,
  '0010-task-search': taskSearch,
  '0011-notifications': notifications,
  '0012-delivery-policies': deliveryPolicies,
  '0013-attempt-slots': attemptSlots,
};
