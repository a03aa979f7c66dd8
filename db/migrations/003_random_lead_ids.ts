import { type Kysely, sql } from 'kysely';
import { legacyLeadId, newLeadId } from '../lead-ids';

/**
 * Gives every finished lead whose id is still the SHA-256 of its email a random id, with its report
 * delivery and Idempotency-Key rows. Leads still in flight keep theirs: their running workflow writes
 * back by that id. The Temporal workflow id (`workflow_id`) of a re-keyed lead stays as it was, since
 * its history lives under it until the namespace's retention removes it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ id: string; email: string }>`
      SELECT id, email FROM leads WHERE status IN ('COMPLETED', 'FAILED') FOR UPDATE`.execute(trx);
    for (const { id, email } of rows) {
      if (id !== legacyLeadId(email)) continue;
      const next = newLeadId();
      await sql`UPDATE leads SET id = ${next} WHERE id = ${id}`.execute(trx);
      await sql`UPDATE mail_deliveries SET message_key = ${`lead-report:${next}`}
                WHERE message_key = ${`lead-report:${id}`}`.execute(trx);
      await sql`UPDATE idempotency_keys SET resource_id = ${next}
                WHERE scope = 'lead' AND resource_id = ${id}`.execute(trx);
    }
  });
}

export async function down(): Promise<void> {
  // Random ids cannot (and should not) be turned back into hashes of emails.
}
