import type { Client } from '@temporalio/client';
import type { RedisClientType } from 'redis';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Logger } from '../observability/logger';

/** What the API's routes are given; built once in api/main.ts (or by a test). */
export interface ApiDeps {
  config: Config;
  db: Db;
  temporal: Client;
  logger: Logger;
  /** With REDIS_URL: where rate-limit counts are shared between API processes. */
  redis?: RedisClientType;
}
