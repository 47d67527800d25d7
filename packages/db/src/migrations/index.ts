import type { Migration } from 'kysely';
import * as initialSchema from './0001-initial-schema.js';

/** Every migration, in order. Names sort as they run; never rename or edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-initial-schema': initialSchema,
};
