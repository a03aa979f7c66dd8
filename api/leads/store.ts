import { sql } from 'kysely';
import type { Db } from '../../db';
import { fromJson } from '../../db';
import type { LeadStatus } from '../../workflows/lead/shared';
import { leadWorkflowId } from '../../workflows/lead/shared';
import { decodeCursor, toPage } from '../http/cursor';
import type { CreateLead, LeadView } from './schemas';

/** A lead's row as it is first stored: NEW, with its workflow id (POST /leads and imports alike). */
export const newLeadRow = (id: string, lead: CreateLead) => ({
  id,
  email: lead.email,
  name: lead.name,
  company: lead.company,
  title: lead.title ?? null,
  linkedin_url: lead.linkedinUrl ?? null,
  website: lead.website ?? null,
  notify_email: lead.notifyEmail ?? null,
  status: 'NEW',
  workflow_id: leadWorkflowId(id),
  research: null,
  analysis: null,
});

/**
 * Inserts the lead as NEW under `id` unless a lead with its email exists; `created` tells which and
 * `id` is the lead's id either way. The unique email index decides races in one statement.
 */
export async function insertLead(
  db: Db,
  id: string,
  lead: CreateLead,
): Promise<{ created: boolean; id: string }> {
  const result = await db.insertInto('leads').ignore().values(newLeadRow(id, lead)).executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 1) return { created: true, id };
  const existing = await db
    .selectFrom('leads')
    .select('id')
    .where('email', '=', lead.email)
    .executeTakeFirstOrThrow();
  return { created: false, id: existing.id };
}

function leadQuery(db: Db) {
  return db
    .selectFrom('leads')
    .leftJoin('mail_deliveries', (join) =>
      join.on('mail_deliveries.message_key', '=', sql<string>`CONCAT('lead-report:', leads.id)`),
    )
    .selectAll('leads')
    .select([
      'mail_deliveries.recipient as report_to',
      'mail_deliveries.sent_at as report_sent_at',
      'mail_deliveries.message_id as report_message_id',
      'mail_deliveries.transport as report_transport',
    ]);
}
type LeadRow = NonNullable<Awaited<ReturnType<ReturnType<typeof leadQuery>['executeTakeFirst']>>>;

function toView(row: LeadRow): LeadView {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    status: row.status as LeadStatus,
    name: row.name,
    email: row.email,
    company: row.company,
    title: row.title,
    linkedinUrl: row.linkedin_url,
    website: row.website,
    notifyEmail: row.notify_email,
    research: fromJson(row.research),
    analysis: fromJson(row.analysis),
    report:
      row.report_to && row.report_sent_at
        ? {
            sentTo: row.report_to,
            sentAt: row.report_sent_at.toISOString(),
            messageId: row.report_message_id ?? '',
            transport: row.report_transport as 'smtp' | 'outbox',
          }
        : null,
    error: row.error_type ? { type: row.error_type, message: row.error_message ?? '' } : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function findLead(db: Db, id: string): Promise<LeadView | undefined> {
  const row = await leadQuery(db).where('leads.id', '=', id).executeTakeFirst();
  return row && toView(row);
}

/** Newest first, keyset-paginated on (created_at, id) so pages stay stable while leads arrive. */
export async function listLeads(
  db: Db,
  options: { status?: LeadStatus; importId?: string; limit: number; cursor?: string },
): Promise<{ items: LeadView[]; nextCursor: string | null }> {
  let query = leadQuery(db)
    .orderBy('leads.created_at', 'desc')
    .orderBy('leads.id', 'desc')
    .limit(options.limit + 1);
  if (options.status) query = query.where('leads.status', '=', options.status);
  if (options.importId) query = query.where('leads.import_id', '=', options.importId);
  if (options.cursor) {
    const [createdAt, id] = decodeCursor(options.cursor);
    const at = new Date(createdAt);
    query = query.where((eb) =>
      eb.or([
        eb('leads.created_at', '<', at),
        eb.and([eb('leads.created_at', '=', at), eb('leads.id', '<', id)]),
      ]),
    );
  }
  const rows = await query.execute();
  return toPage(rows, options.limit, (row) => [row.created_at.toISOString(), row.id], toView);
}
