import { createHash } from 'node:crypto';
import { migrations, migrateToLatest } from '@punctual/db';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { withDatabase } from './service-probe.js';
import { findTestServices, MissingTestServiceError } from './test-services.js';
import { buildWorkspace } from './workspace-build.js';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Vitest global setup: uses the Postgres and Redis named by DATABASE_URL/REDIS_URL (or the local defaults) when they
 * answer, and otherwise starts what the machine can (see `findTestServices`). Then builds the migrated template
 * database once. Meanwhile it compiles the workspace (`pnpm build`), whose output the process tests run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every project runs this file; the services and the template are found (or started) once per vitest process.
  const shared = globalThis as { punctualTestServices?: Promise<TestServices>; punctualBuild?: Promise<void> };
  shared.punctualBuild ??= buildWorkspace();
  shared.punctualTestServices ??= startServices();
  const [services] = await Promise.all([shared.punctualTestServices, shared.punctualBuild]);
  project.provide('databaseUrl', services.databaseUrl);
  project.provide('redisUrl', services.redisUrl);
  project.provide('templateDatabase', services.templateDatabase);
  return async () => {
    const stops = services.stops.splice(0);
    for (const stop of stops.reverse()) await stop();
  };
}

interface TestServices {
  databaseUrl: string;
  redisUrl: string;
  templateDatabase: string;
  stops: Array<() => Promise<unknown>>;
}

async function startServices(): Promise<TestServices> {
  const services = await findTestServices({
    databaseUrl: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    redisUrl: process.env.REDIS_URL ?? DEFAULT_REDIS_URL,
  }).catch((error: unknown) => {
    // One line, not a stack: what is missing and how to get it.
    if (error instanceof MissingTestServiceError) {
      console.error(`punctual tests: ${error.message}`);
      process.exit(1);
    }
    throw error;
  });
  if (services.started.length > 0) console.log(`punctual tests: started ${services.started.join(' and ')} (nothing answered)`);
  const { databaseUrl, redisUrl } = services;
  return { databaseUrl, redisUrl, templateDatabase: await ensureTemplateDatabase(databaseUrl), stops: [() => services.stop()] };
}

/**
 * A database migrated to the current schema, named after a hash of the migrations so a changed migration gets a new
 * template. Concurrent test runs take an advisory lock so only one builds it.
 */
async function ensureTemplateDatabase(databaseUrl: string): Promise<string> {
  const fingerprint = createHash('sha256')
    .update(
      Object.entries(migrations)
        .map(([name, migration]) => name + migration.up.toString())
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 12);
  const name = `punctual_template_${fingerprint}`;
  const admin = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await migrateToLatest(withDatabase(databaseUrl, building));
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
    }
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    return name;
  } finally {
    await admin.end();
  }
}
