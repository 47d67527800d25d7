import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';

/** The unprivileged OS user the embedded Postgres runs as when Punctual runs as root. */
export interface PostgresUser {
  name: string;
  uid: number;
  gid: number;
  /** True when this call had to create it. */
  created: boolean;
}

/** embedded-postgres looks this name up (`id -u postgres`) and runs initdb and postgres as it when started as root. */
const NAME = 'postgres';

const run = promisify(execFile);

/**
 * Postgres refuses to run as root. Returns the `postgres` OS user, which a machine with a Postgres package installed
 * already has; on a bare machine (a root-only container, say) creates it the least invasive way: a system account
 * with its own group, no home directory and no login shell (`useradd --system`), as Debian's postgresql-common does.
 */
export async function postgresUser(): Promise<PostgresUser> {
  const existing = await lookUp();
  if (existing) return { ...existing, created: false };
  try {
    await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      NAME,
    ]);
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Postgres refuses to run as root and there is no \`${NAME}\` OS user to run it as, nor could one be created ` +
        `(${(error as Error).message.split('\n')[0]}): create one (useradd --system --user-group ${NAME}), or run Punctual as a normal user`,
      { cause: error },
    );
  }
  const created = await lookUp();
  if (!created) throw new EmbeddedPostgresError(`the OS user \`${NAME}\` was created but cannot be found (id -u ${NAME})`);
  return { ...created, created: true };
}

async function lookUp(): Promise<{ name: string; uid: number; gid: number } | null> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', NAME]), run('id', ['-g', NAME])]);
    return { name: NAME, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return null;
  }
}
