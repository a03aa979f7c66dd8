import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../db';
import { toJson } from '../../db';
import { recordEntityEvent } from '../../db/entity-events';
import type { LeadState, LeadStatus } from '../../workflows/lead/shared';

// The lead state machine as MySQL enforces it. Each status may be re-entered (an activity retry)
// but never reached from a later one, so a second run cannot redo finished work.
const ALLOWED_FROM: Record<LeadStatus, LeadStatus[]> = {
  NEW: ['NEW'],
  ENRICHING: ['NEW', 'ENRICHING'],
  ENRICHED: ['ENRICHING', 'ENRICHED'],
  COMPLETED: ['ENRICHED', 'COMPLETED'],
  FAILED: ['NEW', 'ENRICHING', 'ENRICHED', 'FAILED'],
};

export type RecordLeadStatusInput = { leadId: string } & LeadState;

export function createLeadStatusActivities(db: Db) {
  return {
    async recordLeadStatus({
      leadId,
      status,
      research,
      analysis,
      error,
    }: RecordLeadStatusInput): Promise<void> {
      const result = await db
        .updateTable('leads')
        .set({
          status,
          updated_at: new Date(),
          ...(research && { research: toJson(research) }),
          ...(analysis && { analysis: toJson(analysis), score: analysis.score }),
          ...(error && {
            error_type: error.type,
            error_message: `${error.step}: ${error.message}`.slice(0, 2000),
          }),
        })
        .where('id', '=', leadId)
        .where('status', 'in', ALLOWED_FROM[status])
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        const current = await db
          .selectFrom('leads')
          .select('status')
          .where('id', '=', leadId)
          .executeTakeFirst();
        throw ApplicationFailure.nonRetryable(
          current
            ? `lead ${leadId} is ${current.status}; refusing to move it to ${status}`
            : `lead ${leadId} does not exist`,
          'LeadTransitionRefused',
        );
      }
      // The live stream's event (GET /leads/{id}/events); a retry may append the same state twice,
      // which streams skip (they send a change of state, not a repeat).
      await recordEntityEvent(db, {
        entityType: 'lead',
        entityId: leadId,
        status,
        ...(error && { data: { error: { type: error.type, message: `${error.step}: ${error.message}` } } }),
        ...(analysis && { data: { score: analysis.score } }),
      });
    },
  };
}
