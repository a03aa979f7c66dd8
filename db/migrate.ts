import { Migrator } from 'kysely';
import type { Config } from '../config';
import { createDb, type Db, ensureDatabase } from './index';
import { migrations } from './migrations';

/** Applies every pending migration; safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Database migration ${failed ?? ''} failed: ${(error as Error).message ?? error}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The start-up path of every process: create the database if missing and migrate (unless MIGRATE_ON_START=false). */
export async function openDatabase(config: {
  mysql: Pick<Config['mysql'], 'url' | 'migrateOnStart'> & Partial<Config['mysql']>;
}): Promise<Db> {
  if (config.mysql.migrateOnStart) await ensureDatabase(config.mysql.url);
  const db = createDb(config.mysql.url, {
    connectionLimit: config.mysql.poolSize,
    acquireTimeoutMs: config.mysql.acquireTimeoutMs,
  });
  if (config.mysql.migrateOnStart) await migrateToLatest(db);
  return db;
}
