import { createHash } from 'node:crypto';
import { runMigrations } from 'bullmq';
import pg from 'pg';

const SCHEMA_NAME_LIMIT = 63;

/**
 * The Postgres schema BullMQ's tables live in for a QUEUE_PREFIX: `bullmq_<prefix>`, the Postgres counterpart of the
 * Redis key prefix, so deployments (and test files) sharing one database keep apart. A prefix that is not already a
 * plain lower-case identifier is folded to one and suffixed with a hash of itself, so two prefixes never share a schema.
 */
export function queueSchemaName(prefix: string): string {
  const folded = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const name = `bullmq_${folded}`;
  if (folded === prefix && name.length <= SCHEMA_NAME_LIMIT) return name;
  const hash = createHash('sha256').update(prefix).digest('hex').slice(0, 8);
  return `${name.slice(0, SCHEMA_NAME_LIMIT - hash.length - 1)}_${hash}`;
}

/**
 * Brings BullMQ's schema for `prefix` up to date with BullMQ's own migrations (in one transaction, serialized across
 * processes by BullMQ's advisory lock; a no-op read when it is current). Returns the schema and its version.
 */
export async function migrateQueueSchema(databaseUrl: string, prefix: string): Promise<{ schema: string; version: number }> {
  const schema = queueSchemaName(prefix);
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'punctual-queue-migrate',
    connectionTimeoutMillis: 5_000,
  });
  client.on('error', () => {});
  await client.connect();
  try {
    return { schema, version: await runMigrations(client, schema) };
  } finally {
    await client.end().catch(() => {});
  }
}
