import { CompiledQuery, Kysely, MysqlDialect } from 'kysely';
import { createConnection, createPool } from 'mysql2';
import type { Database } from './schema';

export type Db = Kysely<Database>;

/** Builds the one pool the process uses; every connection speaks UTC so DATETIME columns mean one thing. */
export function createDb<DB = Database>(
  mysqlUrl: string,
  options: { connectionLimit?: number } = {},
): Kysely<DB> {
  const pool = createPool({
    uri: mysqlUrl,
    timezone: 'Z',
    connectionLimit: options.connectionLimit ?? 10,
    supportBigNumbers: true,
    // A DATE is a calendar day, not an instant: keep it as 'YYYY-MM-DD'.
    dateStrings: ['DATE'],
    // Fail fast when the server is unreachable instead of queueing forever.
    connectTimeout: 5_000,
    enableKeepAlive: true,
  });
  return new Kysely<DB>({
    dialect: new MysqlDialect({
      pool,
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw("SET time_zone = '+00:00'"));
      },
    }),
  });
}

/** Creates the database named in the URL when it is missing (a fresh machine or CI). */
export async function ensureDatabase(mysqlUrl: string): Promise<void> {
  const url = new URL(mysqlUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]+$/.test(name)) {
    throw new Error(`MYSQL_URL must name a database made of letters, digits, _ or $ (got "${name}")`);
  }
  url.pathname = '/';
  const connection = createConnection({ uri: url.toString(), connectTimeout: 5_000 });
  try {
    await connection
      .promise()
      .query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    connection.destroy();
  }
}

/** MariaDB returns JSON columns as text, MySQL 8 as parsed values; callers always get the value. */
export function fromJson<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
