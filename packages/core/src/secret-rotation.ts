import {
  findSealedSecrets,
  keyIdOf,
  openSecret,
  replaceSealedSecret,
  SealedSecretError,
  sealSecret,
  type Database,
  type Kysely,
  type SealedSecretColumn,
  type SealedSecretRow,
  type SecretBinding,
  type SecretKeys,
} from '@punctual/db';
import { originOf } from './task-secrets.js';

export interface ResealOptions {
  /** Rows read and re-sealed per statement. */
  batchSize?: number;
}

/** Per column: values re-sealed, and values that would not open (left as they are, so nothing is lost). */
export type ResealCounts = Record<SealedSecretColumn, { resealed: number; failed: number }>;

const COLUMNS: SealedSecretColumn[] = ['task token', 'task headers', 'signing secret', 'previous signing secret'];

/**
 * Seals every secret at rest again under `keys.current`: task tokens and sensitive headers (bound to their task and its
 * URL's origin) and users' signing secrets. Values sealed with `keys.previous` or as v1 are opened and sealed again;
 * values already under the current key are skipped, so a second run changes nothing. A value changed meanwhile by the
 * API is left to that change. Works in batches, so a large table is never held in memory or locked at once.
 */
export async function resealSecrets(db: Kysely<Database>, keys: SecretKeys, options: ResealOptions = {}): Promise<ResealCounts> {
  const limit = options.batchSize ?? 500;
  const currentKeyId = keyIdOf(keys.current);
  const counts = Object.fromEntries(COLUMNS.map((column) => [column, { resealed: 0, failed: 0 }])) as ResealCounts;
  for (const column of COLUMNS) {
    let afterId: string | null = null;
    for (;;) {
      const rows = await findSealedSecrets(db, column, { currentKeyId, afterId, limit });
      for (const row of rows) {
        const binding = bindingOf(column, row);
        let resealed: string;
        try {
          resealed = sealSecret(keys, binding, openSecret(keys, binding, row.sealed));
        } catch (error) {
          if (!(error instanceof SealedSecretError)) throw error;
          counts[column].failed += 1;
          continue;
        }
        if (await replaceSealedSecret(db, column, { id: row.id, from: row.sealed, to: resealed })) counts[column].resealed += 1;
      }
      if (rows.length < limit) break;
      afterId = rows.at(-1)!.id;
    }
  }
  return counts;
}

function bindingOf(column: SealedSecretColumn, row: SealedSecretRow): SecretBinding {
  switch (column) {
    case 'task token':
      return { purpose: 'task token', subject: row.id, origin: originOf(row.url!) };
    case 'task headers':
      return { purpose: 'task headers', subject: row.id, origin: originOf(row.url!) };
    default:
      return { purpose: 'signing secret', subject: row.id };
  }
}
