import { createDb, type Db } from '../../db';
import { legacyLeadId } from '../../db/lead-ids';
import { up } from '../../db/migrations/003_random_lead_ids';

describe('migration 003: leads stop being keyed by a hash of their email', () => {
  let db: Db;
  beforeAll(() => {
    db = createDb(process.env.TEST_MYSQL_URL ?? '');
  });
  afterAll(async () => {
    await db.destroy();
  });

  const legacyLead = async (email: string, status: string) => {
    const id = legacyLeadId(email);
    await db
      .insertInto('leads')
      .values({
        id,
        email,
        name: 'Old Lead',
        company: 'Old Co',
        title: null,
        linkedin_url: null,
        website: null,
        notify_email: null,
        status,
        workflow_id: `lead-${id}`,
        research: null,
        analysis: null,
      })
      .execute();
    return id;
  };

  it('re-keys finished leads with their report and Idempotency-Key rows; leaves running ones alone', async () => {
    const tag = Date.now().toString(36);
    const doneEmail = `done.${tag}@old.example`;
    const done = await legacyLead(doneEmail, 'COMPLETED');
    const running = await legacyLead(`running.${tag}@old.example`, 'ENRICHING');
    await db
      .insertInto('mail_deliveries')
      .values({
        message_key: `lead-report:${done}`,
        message_id: `<${tag}@troupe.test>`,
        recipient: 'sales@troupe.test',
        subject: 'Lead report',
        transport: 'smtp',
        sent_at: new Date(),
      })
      .execute();
    await db
      .insertInto('idempotency_keys')
      .values({ scope: 'lead', idem_key: `k-${tag}`, request_hash: '0'.repeat(64), resource_id: done })
      .execute();

    await up(db as never);

    const row = await db
      .selectFrom('leads')
      .selectAll()
      .where('email', '=', doneEmail)
      .executeTakeFirstOrThrow();
    expect(row.id).toMatch(/^ld_[0-9a-f]{24}$/);
    expect(row.id).not.toBe(done);
    // Its history in Temporal stays under the old workflow id.
    expect(row.workflow_id).toBe(`lead-${done}`);
    const mail = await db
      .selectFrom('mail_deliveries')
      .select('message_key')
      .where('message_id', '=', `<${tag}@troupe.test>`)
      .executeTakeFirstOrThrow();
    expect(mail.message_key).toBe(`lead-report:${row.id}`);
    const key = await db
      .selectFrom('idempotency_keys')
      .select('resource_id')
      .where('idem_key', '=', `k-${tag}`)
      .executeTakeFirstOrThrow();
    expect(key.resource_id).toBe(row.id);
    expect(await db.selectFrom('leads').select('id').where('id', '=', running).executeTakeFirst()).toEqual({
      id: running,
    });
  });
});
