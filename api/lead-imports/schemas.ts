import { z } from 'zod';
import { IMPORT_STATUSES } from '../../workflows/lead-import/shared';

export const importId = z
  .string()
  .regex(/^li_[0-9a-f]{24}$/, 'must be an import id such as li_0123456789abcdef01234567')
  .meta({ example: 'li_5f0c9a8e1d2b3c4d5e6f7a8b' });

export const createImportQuery = z.strictObject({
  mode: z
    .enum(['partial', 'all-or-nothing'])
    .default('partial')
    .describe(
      '`partial`: bad rows are reported and the good ones imported; `all-or-nothing`: any bad row refuses the file',
    ),
});

export const importSchema = z
  .object({
    id: importId,
    workflowId: z.string(),
    status: z.enum(IMPORT_STATUSES),
    mode: z.enum(['partial', 'all-or-nothing']),
    format: z.enum(['csv', 'ndjson']),
    totals: z
      .object({
        rows: z.int().describe('Data rows in the file: valid + invalid + duplicates'),
        valid: z.int().describe('Rows that became new leads of this import'),
        invalid: z.int(),
        duplicates: z.int().describe('Emails repeated in the file, or already leads: not enriched again'),
        started: z.int().describe('Lead workflows the import has started'),
        completed: z.int(),
        failed: z.int(),
      })
      .meta({ id: 'LeadImportTotals' }),
    ratePerSecond: z.number().describe('Leads finished per second since the import was accepted'),
    etaSeconds: z
      .int()
      .nullable()
      .describe('Seconds until the last lead finishes at that rate; null when unknown'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'LeadImport' });

export const importErrorSchema = z
  .object({
    line: z.int().describe('The line of the file the row ends on (the header is line 1 of a CSV)'),
    kind: z.enum(['invalid', 'duplicate']),
    field: z.string().describe('The column at fault; `(row)` for the row as a whole'),
    message: z.string(),
  })
  .meta({ id: 'LeadImportError' });

export const importErrorsQuery = z.strictObject({
  kind: z.enum(['invalid', 'duplicate']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .regex(/^\d{1,9}$/, 'must be the `nextCursor` of the previous page')
    .optional()
    .describe('`nextCursor` from the previous page'),
});

export const importErrorPageSchema = z
  .object({ items: z.array(importErrorSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'LeadImportErrorPage' });
