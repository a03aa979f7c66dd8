import { createHash } from 'node:crypto';
import { PassThrough, type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse as csvParser } from 'csv-parse';
import type { z } from 'zod';
import { Problem, problemType } from '../http/problem';
import { type CreateLead, createLeadBody } from '../leads/schemas';

export type ImportFormat = 'csv' | 'ndjson';

/** The columns a CSV file may have (any order; case, spaces, `_` and `-` ignored), as POST /leads names them. */
export const IMPORT_COLUMNS = [
  'name',
  'email',
  'company',
  'title',
  'linkedinUrl',
  'website',
  'notifyEmail',
] as const;
const REQUIRED_COLUMNS = ['name', 'email', 'company'];
const columnKey = (header: string) => header.toLowerCase().replace(/[\s_-]/g, '');
const COLUMN_BY_KEY = new Map<string, string>(IMPORT_COLUMNS.map((c) => [columnKey(c), c]));

export interface RowError {
  line: number;
  kind: 'invalid' | 'duplicate';
  field: string;
  message: string;
  email?: string;
}

export interface ParsedImport {
  /** Data rows read (header excluded, blank lines skipped). */
  rows: number;
  /** Valid rows, in file order, each with its line; file duplicates already removed. */
  leads: { line: number; lead: CreateLead }[];
  errors: RowError[];
  /** SHA-256 of the bytes received: what an Idempotency-Key is checked against. */
  sha256: string;
}

const badFile = (detail: string) =>
  new Problem(400, detail, { type: problemType('invalid-import-file'), title: 'Invalid import file' });

/** Counts and hashes the bytes as they pass, refusing the body past `maxBytes` (413). */
function meter(maxBytes: number, hash: ReturnType<typeof createHash>) {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        done(new Problem(413, `The file is larger than the ${maxBytes}-byte limit (IMPORT_MAX_BYTES)`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

/** Splits a byte stream into lines (UTF-8), each with its 1-based number; a \r before \n is dropped. */
function lines() {
  let rest = '';
  let line = 0;
  const decoder = new TextDecoder('utf-8');
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) this.push({ line: ++line, text: part.replace(/\r$/, '') });
      done();
    },
    flush(done) {
      rest += decoder.decode();
      if (rest.length > 0) this.push({ line: ++line, text: rest.replace(/\r$/, '') });
      done();
    },
  });
}

function describeIssues(line: number, error: z.ZodError): RowError[] {
  return error.issues.flatMap((issue) => {
    const field = issue.path.map(String).join('.') || '(row)';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        line,
        kind: 'invalid' as const,
        field: key,
        message: 'is not a known field',
      }));
    }
    const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
    return [{ line, kind: 'invalid' as const, field, message: missing ? 'is required' : issue.message }];
  });
}

/**
 * Reads an import body as it streams in — CSV through csv-parse, NDJSON line by line — validating each
 * row with POST /leads' own schema. Never holds the raw file: only the valid rows (at most `maxRows`)
 * and the errors. Emails repeated inside the file are reported as duplicates of their first line.
 */
export async function parseImport(
  body: Readable,
  options: { format: ImportFormat; maxRows: number; maxBytes: number },
): Promise<ParsedImport> {
  const hash = createHash('sha256');
  const result: ParsedImport = { rows: 0, leads: [], errors: [], sha256: '' };
  const firstLine = new Map<string, number>();

  const accept = (line: number, value: unknown) => {
    result.rows++;
    if (result.rows > options.maxRows) {
      throw new Problem(413, `The file has more than ${options.maxRows} rows (IMPORT_MAX_ROWS)`, {
        type: problemType('import-too-large'),
      });
    }
    const parsed = createLeadBody.safeParse(value);
    if (!parsed.success) {
      result.errors.push(...describeIssues(line, parsed.error));
      return;
    }
    const lead = parsed.data;
    const seen = firstLine.get(lead.email);
    if (seen !== undefined) {
      result.errors.push({
        line,
        kind: 'duplicate',
        field: 'email',
        message: `repeats the email of line ${seen}`,
        email: lead.email,
      });
      return;
    }
    firstLine.set(lead.email, line);
    result.leads.push({ line, lead });
  };

  const reject = (line: number, message: string) => {
    result.rows++;
    if (result.rows > options.maxRows) accept(line, undefined); // throws the 413
    result.errors.push({ line, kind: 'invalid', field: '(row)', message });
  };
  const ndjsonRows = new Transform({
    objectMode: true,
    transform({ line, text }: { line: number; text: string }, _encoding, done) {
      try {
        if (text.trim() !== '') {
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            value = undefined;
          }
          if (value === undefined) reject(line, 'is not valid JSON');
          else if (!value || typeof value !== 'object' || Array.isArray(value))
            reject(line, 'must be a JSON object');
          else accept(line, value);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  const stages: Transform[] =
    options.format === 'csv'
      ? [
          meter(options.maxBytes, hash),
          csvParser({
            bom: true,
            info: true,
            skip_empty_lines: true,
            relax_column_count: true,
            record_delimiter: ['\r\n', '\n', '\r'],
            max_record_size: 64 * 1024,
          }),
          csvRows(accept, reject),
        ]
      : [meter(options.maxBytes, hash), lines(), ndjsonRows];
  try {
    // The row stages keep what they read; nothing flows past them.
    const discard = new Writable({ objectMode: true, write: (_row, _encoding, done) => done() });
    // The request is piped in, not handed to pipeline(): a refused body must not destroy the socket
    // the answer goes out on (the route drains what is left).
    const source = new PassThrough();
    body.pipe(source);
    body.once('aborted', () => source.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    await pipeline([source, ...stages, discard]);
  } catch (err) {
    if (err instanceof Problem) throw err;
    const e = err as { code?: string; lines?: number; message?: string };
    if (err instanceof CsvError) {
      throw badFile(`The CSV is malformed near line ${e.lines ?? '?'}: ${e.message}`);
    }
    if (e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.code === 'ECONNRESET') {
      throw new Problem(400, 'The request was aborted while its body was read');
    }
    throw err;
  }
  if (result.rows === 0) throw badFile('The file has no data rows');
  result.sha256 = hash.digest('hex');
  return result;
}

/** The header row mapped to lead fields; a bad header refuses the file (400). Rows go to `accept`. */
function csvRows(
  accept: (line: number, value: unknown) => void,
  reject: (line: number, message: string) => void,
): Transform {
  let header: string[] | undefined;
  const readHeader = (record: string[]): string[] => {
    const columns = record.map((cell, i) => {
      const column = COLUMN_BY_KEY.get(columnKey(cell.trim()));
      if (!column) {
        throw badFile(
          `Column ${i + 1} ("${cell.trim().slice(0, 50)}") is not a lead field; use ${IMPORT_COLUMNS.join(', ')}`,
        );
      }
      return column;
    });
    const repeated = columns.find((c, i) => columns.indexOf(c) !== i);
    if (repeated) throw badFile(`The header names ${repeated} twice`);
    const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
    if (missing.length > 0) throw badFile(`The header lacks the required columns: ${missing.join(', ')}`);
    return columns;
  };
  return new Transform({
    objectMode: true,
    transform({ record, info }: { record: string[]; info: { lines: number } }, _encoding, done) {
      try {
        if (!header) {
          header = readHeader(record);
        } else if (record.length !== header.length) {
          reject(info.lines, `has ${record.length} cells; the header has ${header.length}`);
        } else {
          const value: Record<string, string> = {};
          for (const [i, column] of header.entries()) {
            const cell = record[i] ?? '';
            if (cell.trim() !== '') value[column] = cell;
          }
          accept(info.lines, value);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}
