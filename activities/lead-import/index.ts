import type { Db } from '../../db';
import { recordEntityEvent } from '../../db/entity-events';
import { importSummary } from '../../db/lead-imports';
import type { LeadProfile } from '../../workflows/lead/shared';
import {
  FINISHED_IMPORT_STATUSES,
  type ImportLead,
  type ImportProgress,
  type ImportStatus,
} from '../../workflows/lead-import/shared';

/** The import workflow's MySQL bookkeeping: pages of its leads, its progress, a cancel's leftovers. */
export function createLeadImportActivities(db: Db) {
  return {
    /** The import's next leads in file order, after `afterSeq`. */
    async nextImportLeads(input: {
      importId: string;
      afterSeq: number;
      limit: number;
    }): Promise<ImportLead[]> {
      const rows = await db
        .selectFrom('leads')
        .select([
          'id',
          'import_seq',
          'name',
          'email',
          'company',
          'title',
          'linkedin_url',
          'website',
          'notify_email',
        ])
        .where('import_id', '=', input.importId)
        .where('import_seq', '>', input.afterSeq)
        .orderBy('import_seq')
        .limit(input.limit)
        .execute();
      return rows.map((row) => {
        const profile: LeadProfile = {
          id: row.id,
          name: row.name,
          email: row.email,
          company: row.company,
          ...(row.title && { title: row.title }),
          ...(row.linkedin_url && { linkedinUrl: row.linkedin_url }),
          ...(row.website && { website: row.website }),
          ...(row.notify_email && { notifyEmail: row.notify_email }),
        };
        return { seq: row.import_seq ?? 0, profile };
      });
    },

    /** Writes the state and `started`, then appends the import's view to its event stream. */
    async recordImportProgress(input: { importId: string } & ImportProgress): Promise<void> {
      const finished = FINISHED_IMPORT_STATUSES.includes(input.status as ImportStatus);
      await db
        .updateTable('lead_imports')
        .set({
          status: input.status,
          started: input.started,
          updated_at: new Date(),
          ...(finished && { finished_at: new Date() }),
        })
        .where('id', '=', input.importId)
        .execute();
      const summary = await importSummary(db, input.importId);
      if (summary) {
        await recordEntityEvent(db, {
          entityType: 'import',
          entityId: input.importId,
          status: input.status,
          data: summary,
        });
      }
    },

    /**
     * A cancelled import's rows never started: their leads never ran, so they go (the email is free
     * to be submitted again). A lead some POST /leads started meanwhile is no longer NEW and stays.
     */
    async forgetUnstartedImportLeads(input: { importId: string; afterSeq: number }): Promise<number> {
      const result = await db
        .deleteFrom('leads')
        .where('import_id', '=', input.importId)
        .where('import_seq', '>', input.afterSeq)
        .where('status', '=', 'NEW')
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type LeadImportActivities = ReturnType<typeof createLeadImportActivities>;
