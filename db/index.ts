import { CompiledQuery, Kysely, MysqlDialect } from 'kysely';
import { createConnection, createPool } from 'mysql2';
import { type BoundedPool, boundPool, type PoolStats } from './pool';
import type { Database } from './schema';

export type Db = Kysely<Database>;
export type { PoolStats };

export interface PoolOptions {
  /** Connections the pool may open (MYSQL_POOL_SIZE). */
  connectionLimit?: number;
  /** How long a caller waits for a free connection before its query fails (MYSQL_ACQUIRE_TIMEOUT_MS). */
  acquireTimeoutMs?: number;
  /** Callers that may wait at once; beyond that a query fails at once instead of queueing. */
  queueLimit?: number;
}

export const POOL_DEFAULTS = { connectionLimit: 10, acquireTimeoutMs: 5_000, queueLimit: 1_000 } as const;

const pools = new WeakMap<object, BoundedPool>();

/**
 * Builds one pool; every connection speaks UTC so DATETIME columns mean one thing. Waiting for a
 * connection is bounded (`acquireTimeoutMs`, `queueLimit`): a caller that cannot get one fails with
 * `PoolAcquireTimeout` and is retried by whoever called it, instead of waiting forever behind a pool
 * that nothing frees. Code must never wait for a second connection while it holds one (see README,
 * "Pools and slots").
 */
export function createDb<DB = Database>(mysqlUrl: string, options: PoolOptions = {}): Kysely<DB> {
  const settings = {
    connectionLimit: options.connectionLimit ?? POOL_DEFAULTS.connectionLimit,
    acquireTimeoutMs: options.acquireTimeoutMs ?? POOL_DEFAULTS.acquireTimeoutMs,
    queueLimit: options.queueLimit ?? POOL_DEFAULTS.queueLimit,
  };
  const pool = boundPool(
    createPool({
      uri: mysqlUrl,
      timezone: 'Z',
      connectionLimit: settings.connectionLimit,
      queueLimit: settings.queueLimit,
      supportBigNumbers: true,
      // A DATE is a calendar day, not an instant: keep it as 'YYYY-MM-DD'.
      dateStrings: ['DATE'],
      // Opening a TCP connection to MySQL gives up after this (acquiring a pooled one is bounded above).
      connectTimeout: 5_000,
      enableKeepAlive: true,
    }),
    settings.acquireTimeoutMs,
    settings.connectionLimit,
  );
  const db = new Kysely<DB>({
    dialect: new MysqlDialect({
      pool,
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw("SET time_zone = '+00:00'"));
      },
    }),
  });
  pools.set(db, pool);
  return db;
}

/** The pool behind a database handle made by `createDb`: size, connections in use, callers waiting. */
export function poolStats(db: object): PoolStats | undefined {
  return pools.get(db)?.stats();
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
