import { createClient, type RedisClientType } from 'redis';
import type { Logger } from '../observability/logger';

/** The Redis connection the API processes share rate-limit counts through (REDIS_URL). */
export async function connectRedis(url: string, logger: Logger): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url });
  // Reconnects on its own; errors are logged rather than crashing the process.
  client.on('error', (err) => logger.warn({ err: (err as Error).message }, 'Redis error'));
  await client.connect();
  return client;
}
