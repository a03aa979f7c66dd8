import { randomBytes } from 'node:crypto';
import type { Db } from '../../db';
import { newLeadId } from '../../db/lead-ids';
import { leadImportWorkflowId } from '../../workflows/lead-import/shared';
import { newLeadRow } from '../leads/store';
import type { ImportFormat, ParsedImport, RowError } from './parse';

/** A new import's id: `li_` and 24 random hex digits. */
export const newImportId = (): string => `li_${randomBytes(12).toString('hex')}`;

const CHUNK = 500;
const chunks = <T>(items: T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/** The emails among `emails` that are leads already. */
export async function knownEmails(db: Db, emails: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const chunk of chunks(emails)) {
    if (chunk.length === 0) continue;
    const rows = await db.selectFrom('leads').select('email').where('email', 'in', chunk).execute();
    for (const row of rows) known.add(row.email);
  }
  return known;
}

const isDuplicateKey = (err: unknown) => (err as { code?: string }).code === 'ER_DUP_ENTRY';

/**
 * Stores the import in one transaction: its row (ACCEPTED), its refused rows, and a NEW lead for each
 * valid row, numbered in file order. A lead whose email arrived meanwhile (INSERT IGNORE lost the race)
 * becomes a duplicate. Returns false when an import with this id exists already (a concurrent request
 * with the same Idempotency-Key won).
 */
export async function storeImport(
  db: Db,
  input: { id: string; format: ImportFormat; mode: string; parsed: ParsedImport },
): Promise<boolean> {
  const { id, parsed } = input;
  const errors: RowError[] = [...parsed.errors];
  const known = await knownEmails(
    db,
    parsed.leads.map((l) => l.lead.email),
  );
  const fresh = parsed.leads.filter(({ line, lead }) => {
    if (!known.has(lead.email)) return true;
    errors.push({ line, kind: 'duplicate', field: 'email', message: 'is already a lead', email: lead.email });
    return false;
  });
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('lead_imports')
        .values({
          id,
          workflow_id: leadImportWorkflowId(id),
          status: 'ACCEPTED',
          mode: input.mode,
          format: input.format,
          rows_total: parsed.rows,
          valid: 0,
          invalid: 0,
          duplicates: 0,
        })
        .execute();
      let seq = 0;
      for (const chunk of chunks(fresh)) {
        await trx
          .insertInto('leads')
          .ignore()
          .values(
            chunk.map(({ lead }) => ({ ...newLeadRow(newLeadId(), lead), import_id: id, import_seq: ++seq })),
          )
          .execute();
      }
      // Emails some other request made leads of while this one ran: duplicates after all.
      const ours = new Set(
        (await trx.selectFrom('leads').select('email').where('import_id', '=', id).execute()).map(
          (r) => r.email,
        ),
      );
      for (const { line, lead } of fresh) {
        if (!ours.has(lead.email)) {
          errors.push({
            line,
            kind: 'duplicate',
            field: 'email',
            message: 'is already a lead',
            email: lead.email,
          });
        }
      }
      errors.sort((a, b) => a.line - b.line);
      let errorSeq = 0;
      for (const chunk of chunks(errors)) {
        await trx
          .insertInto('lead_import_errors')
          .values(
            chunk.map((e) => ({
              import_id: id,
              seq: ++errorSeq,
              line: e.line,
              kind: e.kind,
              field: e.field.slice(0, 100),
              message: e.message.slice(0, 500),
              email: e.email ?? null,
            })),
          )
          .execute();
      }
      const invalidLines = new Set(errors.filter((e) => e.kind === 'invalid').map((e) => e.line));
      await trx
        .updateTable('lead_imports')
        .set({
          valid: ours.size,
          invalid: invalidLines.size,
          duplicates: errors.filter((e) => e.kind === 'duplicate').length,
        })
        .where('id', '=', id)
        .execute();
    });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) {
      const exists = await db.selectFrom('lead_imports').select('id').where('id', '=', id).executeTakeFirst();
      if (exists) return false;
    }
    throw err;
  }
}

export async function listImportErrors(
  db: Db,
  id: string,
  options: { limit: number; cursor?: number; kind?: string },
) {
  let query = db
    .selectFrom('lead_import_errors')
    .select(['seq', 'line', 'kind', 'field', 'message'])
    .where('import_id', '=', id)
    .orderBy('seq')
    .limit(options.limit + 1);
  if (options.cursor !== undefined) query = query.where('seq', '>', options.cursor);
  if (options.kind) query = query.where('kind', '=', options.kind);
  const rows = await query.execute();
  const page = rows.slice(0, options.limit);
  return {
    items: page.map(({ line, kind, field, message }) => ({ line, kind, field, message })),
    nextCursor: rows.length > options.limit ? String(page[page.length - 1]?.seq) : null,
  };
}
