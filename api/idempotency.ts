import { z } from 'zod';
import type { Db } from '../db';
import { requestHash } from '../db/request-hash';
import { Problem, problemType } from './http/problem';

export const idempotencyKeyHeader = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
  .describe("Makes a retried request return the first request's result instead of acting twice")
  .optional();

/**
 * Records which resource an Idempotency-Key made, atomically (the primary key decides between
 * concurrent requests). Returns that resource's id; a key reused with a different request is a 422,
 * as the IETF Idempotency-Key draft advises.
 */
export async function claimIdempotencyKey(
  db: Db,
  claim: { scope: string; key: string; request: unknown; resourceId: string },
): Promise<string> {
  const hash = requestHash(claim.request);
  await db
    .insertInto('idempotency_keys')
    .ignore()
    .values({ scope: claim.scope, idem_key: claim.key, request_hash: hash, resource_id: claim.resourceId })
    .execute();
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'resource_id'])
    .where('scope', '=', claim.scope)
    .where('idem_key', '=', claim.key)
    .executeTakeFirstOrThrow();
  if (row.request_hash !== hash) {
    throw new Problem(422, 'This Idempotency-Key was already used with a different request body', {
      type: problemType('idempotency-key-reused'),
      title: 'Idempotency-Key reused',
    });
  }
  return row.resource_id;
}
