import type { MysqlPool, MysqlPoolConnection } from 'kysely';

/** What a pool is doing now; readiness and the worker's progress monitor read it. */
export interface PoolStats {
  size: number;
  /** Connections handed out and not yet released. */
  inUse: number;
  /** Callers waiting for a connection. */
  waiting: number;
  /** How long the longest-waiting caller has waited, in ms (0 when nobody waits). */
  oldestWaitMs: number;
  /** When a connection was last handed out (ms since epoch; 0 before the first). */
  lastAcquiredAt: number;
  /** Callers that gave up waiting (PoolAcquireTimeout), since the pool was made. */
  timeouts: number;
  /** When a caller last gave up waiting (ms since epoch; 0 if none has). */
  lastTimeoutAt: number;
}

/** A caller waited longer than the acquire timeout for a pooled connection. */
export class PoolAcquireTimeout extends Error {
  override name = 'PoolAcquireTimeout';
  readonly code = 'POOL_ACQUIRE_TIMEOUT';
}

export interface BoundedPool extends MysqlPool {
  stats(): PoolStats;
}

/**
 * mysql2's pool waits for a connection without a time limit. This wraps it for Kysely so a wait ends
 * after `acquireTimeoutMs`: the caller gets a PoolAcquireTimeout, and the connection that arrives for
 * it later is released at once, so nothing leaks.
 */
export function boundPool(pool: MysqlPool, acquireTimeoutMs: number, size: number): BoundedPool {
  const waiters = new Map<number, number>();
  const busy = new Set<MysqlPoolConnection>();
  const tracked = new WeakSet<MysqlPoolConnection>();
  let nextWaiter = 0;
  let lastAcquiredAt = 0;
  let timeouts = 0;
  let lastTimeoutAt = 0;
  // Kysely keys its connection objects by the raw connection, so the same object must be handed out:
  // its release is wrapped once, to know which connections are in use.
  const track = (connection: MysqlPoolConnection) => {
    busy.add(connection);
    if (tracked.has(connection)) return;
    tracked.add(connection);
    const release = connection.release.bind(connection);
    connection.release = () => {
      busy.delete(connection);
      release();
    };
  };
  return {
    getConnection(callback) {
      const waiter = nextWaiter++;
      waiters.set(waiter, Date.now());
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        waiters.delete(waiter);
        timeouts++;
        lastTimeoutAt = Date.now();
        callback(
          new PoolAcquireTimeout(
            `no MySQL connection free within ${acquireTimeoutMs} ms (pool of ${size}, all in use)`,
          ),
          undefined as unknown as MysqlPoolConnection,
        );
      }, acquireTimeoutMs);
      pool.getConnection((error, connection) => {
        clearTimeout(timer);
        if (settled) {
          // The caller gave up: hand the connection straight back.
          if (!error) connection.release();
          return;
        }
        settled = true;
        waiters.delete(waiter);
        if (error) return callback(error, connection);
        track(connection);
        lastAcquiredAt = Date.now();
        callback(null, connection);
      });
    },
    end: (callback) => pool.end(callback),
    stats() {
      const oldest = waiters.size ? Math.min(...waiters.values()) : undefined;
      return {
        size,
        inUse: busy.size,
        waiting: waiters.size,
        oldestWaitMs: oldest === undefined ? 0 : Date.now() - oldest,
        lastAcquiredAt,
        timeouts,
        lastTimeoutAt,
      };
    },
  };
}
