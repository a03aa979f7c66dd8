import { mkdtempSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { groqStandIn } from '../support/groq';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { recordHistory } from '../support/histories';
import { SmtpSink } from '../support/smtp-sink';
import type { StandIn } from '../support/stand-in';
import { standInEnv } from '../support/stand-in-env';
import { TAVILY_KEY, tavilyStandIn } from '../support/tavily';

/** The LeadStatus values the workflow upserted, in order, read from its history. */
async function statusHistory(troupe: Troupe, workflowId: string): Promise<string[]> {
  const history = await troupe.client.workflow.getHandle(workflowId).fetchHistory();
  const decode = (payload: { data?: Uint8Array | null } | undefined) =>
    JSON.parse(Buffer.from(payload?.data ?? []).toString()) as string[];
  return (history.events ?? []).flatMap((event) => {
    const start = event.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields?.LeadStatus;
    const upsert =
      event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.LeadStatus;
    const payload = start ?? upsert;
    if (!payload) return [];
    const value = decode(payload);
    return Array.isArray(value) ? value : [value];
  });
}

describe('a lead, end to end against Tavily and Groq stand-ins and a real SMTP server', () => {
  let tavily: StandIn;
  let groq: StandIn;
  let smtp: SmtpSink;
  let troupe: Troupe;

  beforeAll(async () => {
    [tavily, groq, smtp] = await Promise.all([
      tavilyStandIn().start(),
      groqStandIn().start(),
      new SmtpSink().start(),
    ]);
    troupe = await startTroupe({
      env: standInEnv({ tavily, groq, smtp }),
    });
  });
  afterAll(async () => {
    await troupe?.stop();
    await Promise.all([tavily?.stop(), groq?.stop(), smtp?.stop()]);
  });

  it('goes NEW → ENRICHING → ENRICHED → COMPLETED, with research, a score and one emailed report', async () => {
    const body = newLead({
      name: 'Grace <script>alert(1)</script> Hopper',
      notifyEmail: 'owner@troupe.test',
    });
    const created = await http(`${troupe.url}/api/v1/leads`, { body });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'NEW', email: body.email });
    expect(created.body.workflowId).toBe(`lead-${created.body.id}`);
    expect(created.headers.get('location')).toBe(`/api/v1/leads/${created.body.id}`);

    const lead = await eventually(async () => {
      const got = await http(`${troupe.url}/api/v1/leads/${created.body.id}`);
      expect(got.body.status).toBe('COMPLETED');
      return got.body;
    });

    await troupe.client.workflow.getHandle(lead.workflowId).result();
    expect(await statusHistory(troupe, lead.workflowId)).toEqual([
      'NEW',
      'ENRICHING',
      'ENRICHED',
      'COMPLETED',
    ]);
    recordHistory(lead.workflowId, 'lead-completed');

    // Three searches, in parallel, over Tavily's wire format with the bearer key.
    const searches = tavily.requestsTo('/search');
    expect(searches).toHaveLength(3);
    expect(searches.every((s) => s.headers.authorization === `Bearer ${TAVILY_KEY}`)).toBe(true);
    const bodies = searches.map(
      (s) => s.body as { query: string; topic?: string; include_domains?: string[] },
    );
    expect(bodies.find((b) => b.include_domains?.includes('linkedin.com'))).toBeDefined();
    expect(bodies.find((b) => b.include_domains?.includes('navy.example'))).toBeDefined();
    expect(bodies.find((b) => b.topic === 'news')).toBeDefined();
    expect(lead.research.news.source).toBe('tavily');
    expect(lead.research.news.results[0].publishedDate).toBe('2026-11-20T09:00:00Z');

    // One JSON-mode completion; the stored analysis is the model's reply.
    const [chat] = groq.requestsTo('/openai/v1/chat/completions');
    expect(groq.requestsTo('/openai/v1/chat/completions')).toHaveLength(1);
    expect(chat?.body).toMatchObject({ response_format: { type: 'json_object' } });
    expect(Number.isInteger(lead.analysis.score)).toBe(true);
    expect(lead.analysis.score).toBe(40 + (body.name.length % 50));
    expect(lead.analysis.reasons.length).toBeGreaterThan(0);
    expect(lead.analysis.source).toBe('groq');

    // The report: once, to notifyEmail, escaped, with the Message-ID the lead records.
    const reports = smtp.received.filter((m) => m.to.includes('owner@troupe.test'));
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report?.messageId).toBe(`<lead-report.${lead.id}@troupe.test>`);
    expect(lead.report).toMatchObject({
      sentTo: 'owner@troupe.test',
      messageId: report?.messageId,
      transport: 'smtp',
    });
    expect(report?.html).not.toContain('<script>');
    expect(report?.html).toContain('Grace &lt;script&gt;alert(1)&lt;/script&gt; Hopper');
    expect(report?.text).toContain(`Score: ${lead.analysis.score}/100`);
    expect(lead.error).toBeNull();
  });

  it('is visible by its LeadStatus search attribute', async () => {
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    await eventually(async () => {
      expect((await http(`${troupe.url}/api/v1/leads/${created.body.id}`)).body.status).toBe('COMPLETED');
    });
    const found = await eventually(async () => {
      const runs = [];
      for await (const run of troupe.client.workflow.list({
        query: `WorkflowId = "${created.body.workflowId}" AND LeadStatus = "COMPLETED"`,
      })) {
        runs.push(run);
      }
      expect(runs).toHaveLength(1);
      return runs;
    });
    expect(found[0]?.type).toBe('leadWorkflow');
  });

  it("answers the leadState query with the workflow's view", async () => {
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    await eventually(async () => {
      expect((await http(`${troupe.url}/api/v1/leads/${created.body.id}`)).body.status).toBe('COMPLETED');
    });
    const state = await troupe.client.workflow.getHandle(created.body.workflowId).query('leadState');
    expect(state).toMatchObject({ status: 'COMPLETED', delivery: { sentTo: 'sales@troupe.test' } });
  });

  it('pages through leads newest first and filters by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await http(`${troupe.url}/api/v1/leads`, { body: newLead() })).body.id);
    const first = await http(`${troupe.url}/api/v1/leads?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((l: { id: string }) => l.id)).toEqual([ids[2], ids[1]]);
    const second = await http(`${troupe.url}/api/v1/leads?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).toBe(ids[0]);

    await eventually(async () => {
      const completed = await http(`${troupe.url}/api/v1/leads?status=COMPLETED&limit=100`);
      const completedIds = completed.body.items.map((l: { id: string }) => l.id);
      expect(completedIds).toEqual(expect.arrayContaining(ids));
      expect(completed.body.items.every((l: { status: string }) => l.status === 'COMPLETED')).toBe(true);
    });
  });
});

describe('a lead without Tavily, Groq or SMTP configured', () => {
  let troupe: Troupe;
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'troupe-outbox-'));

  beforeAll(async () => {
    troupe = await startTroupe({ env: { OUTBOX_DIR: outbox } });
  });
  afterAll(async () => troupe?.stop());

  it('still completes: offline research, the rule-based scorer and the outbox, each labelled', async () => {
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead({ title: 'CTO' }) });
    const lead = await eventually(async () => {
      const got = await http(`${troupe.url}/api/v1/leads/${created.body.id}`);
      expect(got.body.status).toBe('COMPLETED');
      return got.body;
    });
    expect(lead.research.profile.source).toBe('offline');
    expect(lead.research.profile.results[0].url).toBe('https://www.linkedin.com/in/grace-hopper');
    expect(lead.analysis).toMatchObject({ source: 'offline', model: 'offline-rules-v1' });
    // CTO (+35), company domain (+15), LinkedIn (+10), website (+10) over a base of 20.
    expect(lead.analysis.score).toBe(90);
    expect(lead.report.transport).toBe('outbox');
    const files = await readdir(outbox);
    expect(files).toEqual([`lead-report.${lead.id}@troupe.test.eml`]);
    const eml = await readFile(path.join(outbox, files[0] ?? ''), 'utf8');
    expect(eml).toContain(`Message-ID: <lead-report.${lead.id}@troupe.test>`);
    expect(eml).toContain('offline');
  });
});
