import { sql } from 'kysely';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { recordHistory } from '../support/histories';
import { SmtpSink } from '../support/smtp-sink';
import { allPages, toCsv, uniqueTag, upload } from './support';

const HEADER = ['name', 'email', 'company', 'title', 'website', 'notifyEmail'];

describe('bulk lead imports, end to end (offline research and scoring, a real SMTP server)', () => {
  let smtp: SmtpSink;
  let troupe: Troupe;

  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    troupe = await startTroupe({
      env: { SMTP_URL: smtp.url, IMPORT_CONCURRENCY: '40', IMPORT_STARTS_PER_RUN: '100' },
    });
  });
  afterAll(async () => {
    await troupe?.stop();
    await smtp?.stop();
  });

  const getImport = async (id: string) => (await http(`${troupe.url}/api/v1/lead-imports/${id}`)).body;

  it('imports 1,000 rows: bad rows, duplicates, unicode and hostile cells reported right; every valid row one lead, one report', async () => {
    const tag = uniqueTag();
    const known = newLead();
    expect((await http(`${troupe.url}/api/v1/leads`, { body: known })).status).toBe(202);

    const rows: string[][] = [HEADER];
    const expectInvalid: number[] = [];
    const expectDuplicate: number[] = [];
    for (let i = 1; i <= 1000; i++) {
      const line = i + 1;
      let row = [`Zoë Ñandú 李${i}`, `lead${i}.${tag}@import.example`, `Société ${i}`, 'CTO', '', ''];
      if (i % 50 === 0) {
        row[1] = `not-an-email-${i}`;
        expectInvalid.push(line);
      } else if (i % 77 === 0) {
        row[2] = '';
        expectInvalid.push(line);
      } else if (i >= 901 && i <= 910) {
        row[1] = `lead${i - 900}.${tag}@import.example`; // repeats lines 2..11
        expectDuplicate.push(line);
      } else if (i === 501) {
        row[1] = known.email.toUpperCase(); // already a lead
        expectDuplicate.push(line);
      } else if (i === 3) {
        row = [
          "=cmd|' /C calc'!A0",
          `lead${i}.${tag}@import.example`,
          '=HYPERLINK("http://evil")',
          '',
          '',
          'owner@troupe.test',
        ];
      } else if (i === 4) {
        row = [
          '<img src=x onerror=alert(1)>',
          `lead${i}.${tag}@import.example`,
          '<script>alert(1)</script>',
          '',
          '',
          'owner@troupe.test',
        ];
      }
      rows.push(row);
    }
    const started = Date.now();
    const res = await upload(troupe.url, toCsv(rows));
    expect(res.status).toBe(202);
    const id = res.body.id;
    expect(res.headers.get('location')).toBe(`/api/v1/lead-imports/${id}`);
    expect(res.body.totals).toMatchObject({
      rows: 1000,
      invalid: expectInvalid.length,
      duplicates: expectDuplicate.length,
      valid: 1000 - expectInvalid.length - expectDuplicate.length,
    });

    const errors = await allPages<{ line: number; kind: string; field: string; message: string }>(
      `${troupe.url}/api/v1/lead-imports/${id}/errors`,
    );
    expect(errors.filter((e) => e.kind === 'invalid').map((e) => e.line)).toEqual(expectInvalid);
    expect(errors.filter((e) => e.kind === 'duplicate').map((e) => e.line)).toEqual(expectDuplicate);
    expect(errors.find((e) => e.line === 51)).toMatchObject({ field: 'email' });
    expect(errors.find((e) => e.line === 78)).toMatchObject({ field: 'company', message: 'is required' });
    expect(errors.find((e) => e.line === 902)).toMatchObject({ message: 'repeats the email of line 2' });
    expect(errors.find((e) => e.line === 502)).toMatchObject({ message: 'is already a lead' });
    // The report of refused rows never echoes a cell back.
    expect(JSON.stringify(errors)).not.toMatch(/not-an-email|<script|=cmd/);

    const done = await eventually(
      async () => {
        const view = await getImport(id);
        expect(view.status).toBe('COMPLETED');
        return view;
      },
      600_000,
      1_000,
    );
    const valid = 1000 - expectInvalid.length - expectDuplicate.length;
    expect(done.totals).toMatchObject({ started: valid, completed: valid, failed: 0 });
    expect(done.etaSeconds).toBe(0);
    console.info(
      `1,000-row import: ${valid} leads completed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    const leads = await allPages<{ email: string; status: string; name: string }>(
      `${troupe.url}/api/v1/leads?importId=${id}`,
    );
    expect(leads).toHaveLength(valid);
    expect(new Set(leads.map((l) => l.email)).size).toBe(valid);
    expect(leads.find((l) => l.email.startsWith('lead7.'))?.name).toBe('Zoë Ñandú 李7');

    // One report per lead: one delivery record each, and the hostile cells reached the mail escaped.
    const deliveries = await sql<{ n: number }>`
      SELECT COUNT(*) AS n FROM mail_deliveries d JOIN leads l ON d.message_key = CONCAT('lead-report:', l.id)
      WHERE l.import_id = ${id} AND d.status = 'SENT'`.execute(troupe.db);
    expect(Number(deliveries.rows[0]?.n)).toBe(valid);
    const html = smtp.received
      .filter((m) => m.to.includes('owner@troupe.test'))
      .map((m) => m.html)
      .join('\n');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<img src=x|<script>alert/);

    // Findable in the Web UI by its status, continued as new (100 starts a run), its progress a query.
    const handle = troupe.client.workflow.getHandle(done.workflowId);
    const description = await handle.describe();
    expect(description.searchAttributes.LeadImportStatus).toEqual(['COMPLETED']);
    expect(description.raw.workflowExecutionInfo?.firstRunId).not.toBe(description.runId);
    const progress = await handle.query<{ completed: number; status: string }>('importProgress');
    expect(progress).toMatchObject({ status: 'COMPLETED', completed: valid });
  }, 900_000);

  it('all-or-nothing refuses the whole file, listing every error, and creates nothing', async () => {
    const tag = uniqueTag();
    const ndjson = [
      JSON.stringify({ name: 'A', email: `a.${tag}@import.example`, company: 'C' }),
      JSON.stringify({ name: 'B', email: 'nope', company: 'C' }),
      '{not json',
      JSON.stringify({ name: 'D', email: `d.${tag}@import.example`, company: 'C', extra: 1 }),
    ].join('\n');
    const res = await upload(troupe.url, ndjson, {
      type: 'application/x-ndjson',
      query: '?mode=all-or-nothing',
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([
      { field: 'line 2: email', message: expect.any(String) },
      { field: 'line 3: (row)', message: 'is not valid JSON' },
      { field: 'line 4: extra', message: 'is not a known field' },
    ]);
    const leads = await troupe.db
      .selectFrom('leads')
      .select('id')
      .where('email', 'like', `%.${tag}@import.example`)
      .execute();
    expect(leads).toHaveLength(0);

    // The same file without the mode: the good row goes on.
    const partial = await upload(troupe.url, ndjson, { type: 'application/x-ndjson' });
    expect(partial.status).toBe(202);
    expect(partial.body.totals).toMatchObject({ rows: 4, valid: 1, invalid: 3, duplicates: 0 });
  });

  it('refuses what is not a lead file with problem+json naming why', async () => {
    const cases: [string, string, number, RegExp][] = [
      ['name,email,company\n', 'application/json', 415, /text\/csv/],
      ['name,email,shoe\nA,a@b.io,x\n', 'text/csv', 400, /Column 3 \("shoe"\)/],
      ['name,email\nA,a@b.io\n', 'text/csv', 400, /company/],
      ['name,email,company\n"A,a@b.io,x\n', 'text/csv', 400, /malformed/],
      ['name,email,company\n', 'text/csv', 400, /no data rows/],
    ];
    for (const [body, type, status, detail] of cases) {
      const res = await upload(troupe.url, body, { type });
      expect({ status: res.status, detail: res.body.detail }).toEqual({
        status,
        detail: expect.stringMatching(detail),
      });
    }
    const big = toCsv([
      ['name', 'email', 'company'],
      ...Array.from({ length: 10_001 }, (_, i) => ['A', `x${i}@y.io`, 'C']),
    ]);
    const tooMany = await upload(troupe.url, big);
    expect(tooMany.status).toBe(413);
  });

  it('the same file posted twice with one Idempotency-Key starts one import', async () => {
    const tag = uniqueTag();
    const csv = toCsv([
      HEADER,
      ['A', `a.${tag}@import.example`, 'C', '', '', ''],
      ['B', `b.${tag}@import.example`, 'C', '', '', ''],
    ]);
    const key = `import-${tag}`;
    const [first, second] = await Promise.all([
      upload(troupe.url, csv, { headers: { 'idempotency-key': key } }),
      upload(troupe.url, csv, { headers: { 'idempotency-key': key } }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 202]);
    expect(first.body.id).toBe(second.body.id);
    const third = await upload(troupe.url, csv, { headers: { 'idempotency-key': key } });
    expect(third.status).toBe(200);
    expect(third.body.id).toBe(first.body.id);
    const other = await upload(troupe.url, csv.replace('A,', 'Z,'), { headers: { 'idempotency-key': key } });
    expect(other.status).toBe(422);
    const imports = await troupe.db
      .selectFrom('leads')
      .select('import_id')
      .where('email', 'like', `%.${tag}@import.example`)
      .execute();
    expect(imports).toHaveLength(2);
    expect(new Set(imports.map((r) => r.import_id))).toEqual(new Set([first.body.id]));
  });

  it('pauses and resumes: no starts while paused, then the rest', async () => {
    const tag = uniqueTag();
    const rows = (n: number, prefix: string) =>
      toCsv([
        HEADER,
        ...Array.from({ length: n }, (_, i) => ['P', `${prefix}${i}.${tag}@import.example`, 'C', '', '', '']),
      ]);
    const res = await upload(troupe.url, rows(300, 'p'));
    expect(res.status).toBe(202);
    const id = res.body.id;
    const paused = await http(`${troupe.url}/api/v1/lead-imports/${id}/pause`, { method: 'POST' });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('PAUSED');
    const startedWhenPaused = paused.body.totals.started;
    expect(startedWhenPaused).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await getImport(id)).totals.started).toBe(startedWhenPaused);
    const resumed = await http(`${troupe.url}/api/v1/lead-imports/${id}/resume`, { method: 'POST' });
    expect(resumed.body.status).toBe('RUNNING');
    const done = await eventually(
      async () => {
        const view = await getImport(id);
        expect(view.status).toBe('COMPLETED');
        return view;
      },
      120_000,
      1_000,
    );
    expect(done.totals).toMatchObject({ started: 300, completed: 300 });
    recordHistory(done.workflowId, 'lead-import-paused-resumed');
    const again = await http(`${troupe.url}/api/v1/lead-imports/${id}/pause`, { method: 'POST' });
    expect(again.status).toBe(409);
  }, 300_000);

  it('cancels: no new starts, the started leads finish, the rest are dropped', async () => {
    const tag = uniqueTag();
    const rows = toCsv([
      HEADER,
      ...Array.from({ length: 300 }, (_, i) => ['C', `c${i}.${tag}@import.example`, 'C', '', '', '']),
    ]);
    const second = await upload(troupe.url, rows);
    const cancelled = await http(`${troupe.url}/api/v1/lead-imports/${second.body.id}/cancel`, {
      method: 'POST',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    const started = cancelled.body.totals.started;
    expect(started).toBeLessThan(300);
    // The started ones finish; the rest are gone.
    await eventually(
      async () => {
        const view = await getImport(second.body.id);
        expect(view.totals.completed + view.totals.failed).toBe(started);
      },
      300_000,
      1_000,
    );
    const leftover = await troupe.db
      .selectFrom('leads')
      .select('id')
      .where('import_id', '=', second.body.id)
      .execute();
    expect(leftover).toHaveLength(started);
    recordHistory(cancelled.body.workflowId, 'lead-import-cancelled');
  }, 600_000);
});
