import type { Db } from '.';

export interface ImportTotals {
  /** Data rows in the file: valid + invalid + duplicates. */
  rows: number;
  /** Rows that became new leads of this import. */
  valid: number;
  invalid: number;
  /** Rows whose email came earlier in the file or was already a lead: no second enrichment. */
  duplicates: number;
  /** Lead workflows the import started. */
  started: number;
  completed: number;
  failed: number;
}

export interface ImportSummary {
  id: string;
  workflowId: string;
  status: string;
  mode: string;
  format: string;
  totals: ImportTotals;
  /** Leads finished (completed or failed) per second since the import was accepted. */
  ratePerSecond: number;
  /** Seconds until the last lead finishes at that rate; null when unknown, paused or over. */
  etaSeconds: number | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/**
 * An import as the API and its live stream show it: the counts fixed at upload, `started` as the
 * workflow wrote it, and completed / failed counted from its leads (MySQL is the truth for those).
 */
export async function importSummary(db: Db, id: string): Promise<ImportSummary | undefined> {
  const row = await db.selectFrom('lead_imports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const counts = await db
    .selectFrom('leads')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('import_id', '=', id)
    .where('status', 'in', ['COMPLETED', 'FAILED'])
    .groupBy('status')
    .execute();
  const count = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);
  const completed = count('COMPLETED');
  const failed = count('FAILED');
  const end = row.finished_at ?? new Date();
  const seconds = Math.max(0.001, (end.getTime() - row.created_at.getTime()) / 1000);
  const rate = (completed + failed) / seconds;
  const remaining = Math.max(0, row.valid - completed - failed);
  return {
    id: row.id,
    workflowId: row.workflow_id,
    status: row.status,
    mode: row.mode,
    format: row.format,
    totals: {
      rows: row.rows_total,
      valid: row.valid,
      invalid: row.invalid,
      duplicates: row.duplicates,
      started: row.started,
      completed,
      failed,
    },
    ratePerSecond: Math.round(rate * 100) / 100,
    etaSeconds:
      row.status === 'RUNNING' && rate > 0 ? Math.ceil(remaining / rate) : remaining === 0 ? 0 : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}
