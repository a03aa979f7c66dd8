import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { SmtpSink } from '../support/smtp-sink';

describe('lead submissions are idempotent', () => {
  let troupe: Troupe;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    troupe = await startTroupe({ env: { SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await troupe?.stop();
    await smtp?.stop();
  });

  async function runsOf(workflowId: string): Promise<number> {
    let runs = 0;
    for await (const _ of troupe.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs++;
    return runs;
  }

  it('the same email, however it is spelled, is one lead, one workflow run and one report', async () => {
    const body = newLead();
    const first = await http(`${troupe.url}/api/v1/leads`, { body });
    expect(first.status).toBe(202);
    await eventually(async () => {
      expect((await http(`${troupe.url}/api/v1/leads/${first.body.id}`)).body.status).toBe('COMPLETED');
    });

    const again = await http(`${troupe.url}/api/v1/leads`, {
      body: { ...body, email: `  ${body.email.toUpperCase()} `, name: 'Someone Else' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, status: 'COMPLETED', name: body.name });

    await eventually(async () => expect(await runsOf(first.body.workflowId)).toBe(1));
    expect(smtp.received.filter((m) => m.subject?.includes(body.name))).toHaveLength(1);
  });

  it('ten concurrent posts of one lead: exactly one 202, one run, one report', async () => {
    const body = newLead({ name: 'Concurrent Carla' });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => http(`${troupe.url}/api/v1/leads`, { body })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];

    await eventually(async () => {
      expect((await http(`${troupe.url}/api/v1/leads/${id}`)).body.status).toBe('COMPLETED');
    });
    await eventually(async () => expect(await runsOf(`lead-${id}`)).toBe(1));
    expect(smtp.received.filter((m) => m.subject?.includes('Concurrent Carla'))).toHaveLength(1);
  });

  it('a repeated Idempotency-Key returns the same lead; reused with another body it is refused', async () => {
    const key = `key-${Date.now()}`;
    const body = newLead();
    const first = await http(`${troupe.url}/api/v1/leads`, { body, headers: { 'Idempotency-Key': key } });
    const retry = await http(`${troupe.url}/api/v1/leads`, { body, headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);

    const misuse = await http(`${troupe.url}/api/v1/leads`, {
      body: newLead(),
      headers: { 'Idempotency-Key': key },
    });
    expect(misuse.status).toBe(422);
    expect(misuse.headers.get('content-type')).toContain('application/problem+json');
    expect(misuse.body.detail).toMatch(/Idempotency-Key/);
  });

  it('a lead already processed is never enriched again, even if its workflow is started by hand', async () => {
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead({ name: 'Twice Tina' }) });
    const lead = await eventually(async () => {
      const got = await http(`${troupe.url}/api/v1/leads/${created.body.id}`);
      expect(got.body.status).toBe('COMPLETED');
      return got.body;
    });
    // A second run under another workflow id (as an operator might start from the CLI or Web UI).
    const state = await troupe.client.workflow.execute('leadWorkflow', {
      taskQueue: troupe.config.temporal.taskQueue,
      workflowId: `${lead.workflowId}-manual`,
      args: [{ id: lead.id, name: lead.name, email: lead.email, company: lead.company }],
    });
    expect(state).toMatchObject({ status: 'NEW' });
    const after = await http(`${troupe.url}/api/v1/leads/${lead.id}`);
    expect(after.body).toMatchObject({ status: 'COMPLETED', report: lead.report, analysis: lead.analysis });
    expect(smtp.received.filter((m) => m.subject?.includes('Twice Tina'))).toHaveLength(1);
  });
});
