import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { importSummary } from '../../db/lead-imports';
import {
  cancelImportUpdate,
  FINISHED_IMPORT_STATUSES,
  type ImportStatus,
  LeadImportStatusAttribute,
  leadImportWorkflowId,
  pauseImportUpdate,
  resumeImportUpdate,
} from '../../workflows/lead-import/shared';
import type { leadImportWorkflow } from '../../workflows/lead-import/workflow';
import type { ApiDeps } from '../deps';
import { notFound, Problem, problemSchema, problemType } from '../http/problem';
import { route } from '../http/route';
import { isWorkflowClosed, updateFailure, withinAnswerTime } from '../http/workflow-errors';
import { claimIdempotencyKey, idempotencyKeyHeader } from '../idempotency';
import { type ImportFormat, parseImport } from './parse';
import {
  createImportQuery,
  importErrorPageSchema,
  importErrorsQuery,
  importId,
  importSchema,
} from './schemas';
import { listImportErrors, newImportId, storeImport } from './store';

const location = z.object({ Location: z.string().describe('Where to GET the import') });
export const IMPORT_MEDIA_TYPES = ['text/csv', 'application/x-ndjson'];
const importPath = (id: string) => `/api/v1/lead-imports/${id}`;

export function leadImportRoutes({ db, temporal, config }: ApiDeps) {
  /** Starts the import's one workflow; a second start (a retried request) lands on the same run. */
  async function startImport(id: string): Promise<void> {
    try {
      await withinAnswerTime(temporal, config.workflowAnswerTimeoutMs, () =>
        temporal.workflow.start<typeof leadImportWorkflow>('leadImportWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: leadImportWorkflowId(id),
          args: [
            {
              importId: id,
              concurrency: config.imports.concurrency,
              startsPerRun: config.imports.startsPerRun,
            },
          ],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [{ key: LeadImportStatusAttribute, value: 'RUNNING' }],
        }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async function findImport(id: string) {
    const summary = await importSummary(db, id);
    if (!summary) throw notFound(`Import ${id}`);
    return summary;
  }

  const control = (
    action: 'pause' | 'resume' | 'cancel',
    update: typeof pauseImportUpdate,
    goal: ImportStatus,
    summary: string,
    description: string,
  ) =>
    route({
      method: 'post',
      path: `/api/v1/lead-imports/{id}/${action}`,
      operationId: `${action}LeadImport`,
      summary,
      description,
      tags: ['Lead imports'],
      request: { params: z.object({ id: importId }) },
      responses: {
        200: { description: 'The import after the change', schema: importSchema },
        404: { description: 'No such import', schema: problemSchema },
        409: { description: 'The import is over, or not started yet', schema: problemSchema },
      },
      async handler({ params }) {
        const current = await findImport(params.id);
        const refuse = (status: string) =>
          new Problem(409, `The import is ${status}; it cannot be ${action}d`, {
            type: problemType('import-not-running'),
            title: 'Import not running',
          });
        if (
          current.status === 'ACCEPTED' ||
          FINISHED_IMPORT_STATUSES.includes(current.status as ImportStatus)
        ) {
          throw refuse(current.status);
        }
        try {
          await withinAnswerTime(temporal, config.workflowAnswerTimeoutMs, () =>
            temporal.workflow.getHandle(current.workflowId).executeUpdate(update),
          );
        } catch (err) {
          if (updateFailure(err) || isWorkflowClosed(err)) {
            const now = await findImport(params.id);
            // A cancel whose run ended before its answer reached us: done all the same.
            if (now.status === goal && FINISHED_IMPORT_STATUSES.includes(goal))
              return { status: 200, body: now };
            throw refuse(now.status);
          }
          throw err;
        }
        return { status: 200, body: await findImport(params.id) };
      },
    });

  return [
    route({
      method: 'post',
      path: '/api/v1/lead-imports',
      operationId: 'createLeadImport',
      summary: 'Import leads from a CSV or NDJSON file',
      description:
        'Reads the file as it streams in and validates every row with the schema of POST /api/v1/leads. ' +
        'Bad rows are reported (GET …/errors) with their line and field and the good ones imported, unless ' +
        '`mode=all-or-nothing`, which refuses the whole file (422) listing every error. Emails repeated in the ' +
        'file or already leads are duplicates and start nothing. A workflow then starts the leads, ' +
        'IMPORT_CONCURRENCY at a time. The same Idempotency-Key returns the first import with 200.',
      tags: ['Lead imports'],
      request: {
        query: createImportQuery,
        headers: z.object({ 'idempotency-key': idempotencyKeyHeader }),
        streamedBody: {
          mediaTypes: IMPORT_MEDIA_TYPES,
          description:
            'CSV with a header row (columns: name, email, company, title, linkedinUrl, website, notifyEmail), ' +
            'or one JSON lead per line',
          maxBytes: config.imports.maxBytes,
        },
      },
      responses: {
        202: {
          description: 'Import accepted; its leads are being started',
          schema: importSchema,
          headers: location,
        },
        200: {
          description: 'The Idempotency-Key was used before: that import',
          schema: importSchema,
          headers: location,
        },
        422: {
          description:
            'all-or-nothing and some rows are bad (every error listed); or the Idempotency-Key was used with another file',
          schema: problemSchema,
        },
      },
      async handler({ query, headers, req }) {
        let parsed: Awaited<ReturnType<typeof parseImport>>;
        let format: ImportFormat;
        try {
          const type = req.headers['content-type'];
          const typed = type ? req.is(['text/csv', 'application/x-ndjson']) : false;
          if (
            typed === null ||
            (req.headers['content-length'] === '0' && !req.headers['transfer-encoding'])
          ) {
            throw new Problem(400, 'Send the file as the request body');
          }
          if (!typed) {
            throw new Problem(
              415,
              `Send the file as text/csv or application/x-ndjson (got ${type ?? 'no content type'})`,
            );
          }
          format = typed === 'text/csv' ? 'csv' : 'ndjson';
          if (Number(req.headers['content-length'] ?? 0) > config.imports.maxBytes) {
            throw new Problem(
              413,
              `The file is larger than the ${config.imports.maxBytes}-byte limit (IMPORT_MAX_BYTES)`,
            );
          }
          parsed = await parseImport(req, {
            format,
            maxRows: config.imports.maxRows,
            maxBytes: config.imports.maxBytes,
          });
        } catch (err) {
          // Whatever is left of a refused body is read and dropped, and the connection closed after the answer.
          if (!req.readableEnded) {
            req.resume();
            if (err instanceof Problem) err.options.headers = { ...err.options.headers, Connection: 'close' };
          }
          throw err;
        }

        const invalid = parsed.errors.filter((e) => e.kind === 'invalid');
        if (query.mode === 'all-or-nothing' && invalid.length > 0) {
          throw new Problem(
            422,
            `${new Set(invalid.map((e) => e.line)).size} of ${parsed.rows} rows are invalid; nothing was imported`,
            {
              type: problemType('import-rejected'),
              title: 'Import rejected',
              errors: invalid.map((e) => ({ field: `line ${e.line}: ${e.field}`, message: e.message })),
            },
          );
        }

        let id = newImportId();
        const key = headers['idempotency-key'];
        if (key) {
          id = await claimIdempotencyKey(db, {
            scope: 'lead-import',
            key,
            request: { sha256: parsed.sha256, mode: query.mode, format },
            resourceId: id,
          });
        }
        let created = false;
        const existing = await importSummary(db, id);
        if (!existing) {
          created = await storeImport(db, { id, format, mode: query.mode, parsed });
        }
        const stored = await findImport(id);
        if (stored.status === 'ACCEPTED') {
          await startImport(id);
          // The workflow writes its own states; this only tells a reader at once that it has started.
          await db
            .updateTable('lead_imports')
            .set({ status: 'RUNNING' })
            .where('id', '=', id)
            .where('status', '=', 'ACCEPTED')
            .execute();
        }
        return {
          status: created ? 202 : 200,
          body: await findImport(id),
          headers: { Location: importPath(id) },
        };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/lead-imports/{id}',
      operationId: 'getLeadImport',
      summary: 'Get an import: its totals, rate, ETA and state',
      tags: ['Lead imports'],
      request: { params: z.object({ id: importId }) },
      responses: {
        200: { description: 'The import', schema: importSchema },
        404: { description: 'No such import', schema: problemSchema },
      },
      async handler({ params }) {
        return { status: 200, body: await findImport(params.id) };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/lead-imports/{id}/errors',
      operationId: 'listLeadImportErrors',
      summary: "The import's refused rows: line, field and why, in file order",
      tags: ['Lead imports'],
      request: { params: z.object({ id: importId }), query: importErrorsQuery },
      responses: {
        200: { description: 'A page of refused rows', schema: importErrorPageSchema },
        404: { description: 'No such import', schema: problemSchema },
      },
      async handler({ params, query }) {
        await findImport(params.id);
        const page = await listImportErrors(db, params.id, {
          limit: query.limit,
          ...(query.cursor && { cursor: Number(query.cursor) }),
          ...(query.kind && { kind: query.kind }),
        });
        return { status: 200, body: page };
      },
    }),
    control(
      'pause',
      pauseImportUpdate,
      'PAUSED',
      'Pause an import',
      'Stops starting leads; the leads already started finish. Resume goes on where it stopped.',
    ),
    control('resume', resumeImportUpdate, 'RUNNING', 'Resume a paused import', 'Starts leads again.'),
    control(
      'cancel',
      cancelImportUpdate,
      'CANCELLED',
      'Cancel an import',
      'Stops starting leads for good; the leads already started finish, the rows never started are dropped.',
    ),
  ];
}
