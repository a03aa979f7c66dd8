// `npm run import -- leads.csv [--api URL] [--key KEY] [--mode all-or-nothing] [--idempotency-key K]`:
// uploads a CSV (or .ndjson/.jsonl) file to POST /api/v1/lead-imports, then follows the import's event
// stream with a progress bar (rows, completed, failed, rate, ETA) until it ends, and prints a summary.
// Ctrl-C detaches: the import goes on; `npm run import -- --watch <id>` follows it again.
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { ImportTotals } from '../../db/lead-imports';

interface ImportView {
  id: string;
  status: string;
  totals: ImportTotals;
  ratePerSecond: number;
  etaSeconds: number | null;
}

const USAGE = `Usage: npm run import -- <file.csv|file.ndjson> [--api URL] [--key KEY] [--mode partial|all-or-nothing] [--idempotency-key K]
       npm run import -- --watch <import id> [--api URL] [--key KEY]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    api: { type: 'string', default: process.env.TROUPE_API_URL ?? 'http://localhost:3000' },
    key: { type: 'string', default: process.env.TROUPE_API_KEY },
    mode: { type: 'string', default: 'partial' },
    'idempotency-key': { type: 'string' },
    watch: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const api = values.api?.replace(/\/$/, '') ?? '';
const auth: Record<string, string> = values.key ? { authorization: `Bearer ${values.key}` } : {};

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function problem(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { detail?: string; errors?: { field: string; message: string }[] };
    const errors = (body.errors ?? []).slice(0, 20).map((e) => `  ${e.field}: ${e.message}`);
    const more = (body.errors?.length ?? 0) > 20 ? [`  … and ${(body.errors?.length ?? 0) - 20} more`] : [];
    return [`${response.status}: ${body.detail ?? text}`, ...errors, ...more].join('\n');
  } catch {
    return `${response.status}: ${text.slice(0, 500)}`;
  }
}

async function upload(file: string): Promise<ImportView> {
  const ext = path.extname(file).toLowerCase();
  const type = ext === '.ndjson' || ext === '.jsonl' ? 'application/x-ndjson' : 'text/csv';
  const size = statSync(file).size;
  process.stdout.write(`Uploading ${file} (${(size / 1024).toFixed(0)} kB, ${type}) to ${api} …\n`);
  const response = await fetch(
    `${api}/api/v1/lead-imports?mode=${encodeURIComponent(values.mode ?? 'partial')}`,
    {
      method: 'POST',
      headers: {
        'content-type': type,
        'content-length': String(size),
        ...auth,
        ...(values['idempotency-key'] && { 'idempotency-key': values['idempotency-key'] }),
      },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit,
  );
  if (response.status !== 202 && response.status !== 200)
    fail(`The import was refused\n${await problem(response)}`);
  const view = (await response.json()) as ImportView;
  const t = view.totals;
  process.stdout.write(
    `Import ${view.id}${response.status === 200 ? ' (already made with this Idempotency-Key)' : ''}: ` +
      `${t.rows} rows, ${t.valid} new leads, ${t.invalid} invalid, ${t.duplicates} duplicates\n`,
  );
  return view;
}

/** Follows the import's events, reconnecting with Last-Event-ID, until `end`; calls `onView` for each state. */
async function follow(id: string, onView: (view: ImportView) => void): Promise<void> {
  let lastEventId: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(`${api}/api/v1/lead-imports/${id}/events`, {
        headers: {
          accept: 'text/event-stream',
          ...auth,
          ...(lastEventId && { 'last-event-id': lastEventId }),
        },
      });
      if (response.status === 404 || response.status === 401 || response.status === 400) {
        fail(await problem(response));
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      attempt = 0;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = '';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) lastEventId = line.slice(3).trim();
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (event === 'end') return;
          if (event === 'snapshot' || event === 'status') onView(JSON.parse(data) as ImportView);
        }
      }
    } catch (err) {
      if (attempt > 30) fail(`Lost the import's stream: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * 2 ** attempt)));
    }
  }
}

async function main(): Promise<void> {
  if (values.help || (!values.watch && positionals.length !== 1)) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const id = values.watch ?? (await upload(positionals[0] as string)).id;
  // cli-progress: a maintained, dependency-light bar that redraws in place (and degrades to plain
  // lines when stdout is not a terminal), with custom tokens for the figures.
  const bar = new cliProgress.SingleBar(
    {
      format:
        '{bar} {percentage}% | {value}/{total} leads | completed {completed} | failed {failed} | {rate}/s | ETA {etaText} | {state}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let last: ImportView | undefined;
  process.once('SIGINT', () => {
    bar.stop();
    process.stdout.write(
      `\nDetached. The import goes on; follow it again with:\n  npm run import -- --watch ${id}${values.api ? ` --api ${api}` : ''}\n`,
    );
    process.exit(130);
  });
  await follow(id, (view) => {
    last = view;
    const t = view.totals;
    const payload = {
      completed: t.completed,
      failed: t.failed,
      rate: view.ratePerSecond.toFixed(1),
      etaText: view.etaSeconds === null ? '?' : `${view.etaSeconds}s`,
      state: view.status,
    };
    if (!started) {
      bar.start(t.valid, t.completed + t.failed, payload);
      started = true;
    } else {
      bar.update(t.completed + t.failed, payload);
    }
  });
  bar.stop();
  const response = await fetch(`${api}/api/v1/lead-imports/${id}`, { headers: auth });
  const view = response.ok ? ((await response.json()) as ImportView) : last;
  if (!view) fail('The import ended but could not be read');
  const t = view.totals;
  process.stdout.write(
    `\nImport ${view.id} ${view.status}: ${t.rows} rows — ${t.completed} completed, ${t.failed} failed, ` +
      `${t.invalid} invalid, ${t.duplicates} duplicates (${view.ratePerSecond}/s)\n`,
  );
  if (t.invalid + t.duplicates > 0) {
    const errors = await fetch(`${api}/api/v1/lead-imports/${id}/errors?limit=10`, { headers: auth });
    if (errors.ok) {
      const page = (await errors.json()) as {
        items: { line: number; kind: string; field: string; message: string }[];
      };
      for (const e of page.items)
        process.stdout.write(`  line ${e.line} (${e.kind}) ${e.field}: ${e.message}\n`);
      if (t.invalid + t.duplicates > page.items.length) {
        process.stdout.write(`  … all of them: GET ${api}/api/v1/lead-imports/${id}/errors\n`);
      }
    }
  }
  process.exit(view.status === 'COMPLETED' && t.failed === 0 ? 0 : 1);
}

main().catch((err) => fail(`npm run import: ${(err as Error).message}`));
