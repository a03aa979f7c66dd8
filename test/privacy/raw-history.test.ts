import { Writable } from 'node:stream';
import { temporal } from '@temporalio/proto';
import { downloadHistory, historyBytes } from '../../clients/history';
import { legacyLeadId } from '../../db/lead-ids';
import { createLogger } from '../../observability/logger';
import { SandboxGateway } from '../support/gateway';
import { groqStandIn } from '../support/groq';
import { eventually, http, sdkLogs, startTroupe, type Troupe } from '../support/harness';
import { createShow } from '../support/inventory';
import { SmtpSink } from '../support/smtp-sink';
import type { StandIn } from '../support/stand-in';
import { standInEnv } from '../support/stand-in-env';
import { tavilyStandIn } from '../support/tavily';

// Distinctive values, so a hit anywhere is unambiguous.
const tag = Date.now().toString(36);
const lead = {
  name: 'Wilhelmina Quixotica',
  email: `wilhelmina.${tag}@zanzibar-widgets.example`,
  company: 'Zanzibar Widgets',
  title: 'Chief Pangolin Officer',
  linkedinUrl: 'https://www.linkedin.com/in/wilhelmina-quixotica',
};
const customer = { name: 'Bartholomew Xylophone', email: `bart.${tag}@xylo.example` };
const paymentReference = `order-for-bartholomew-${tag}`;
const SECRETS = [
  lead.name,
  'Quixotica',
  lead.email,
  'zanzibar',
  lead.title,
  customer.name,
  'Xylophone',
  customer.email,
  paymentReference,
  'pm_card_',
];

/** Every secret found in `text`, case-insensitively. */
const leaks = (text: string) => SECRETS.filter((s) => text.toLowerCase().includes(s.toLowerCase()));

describe('personal data never reaches Temporal, logs or metrics in clear', () => {
  let tavily: StandIn;
  let groq: StandIn;
  let smtp: SmtpSink;
  let gateway: SandboxGateway;
  let troupe: Troupe;
  const logLines: string[] = [];

  beforeAll(async () => {
    [tavily, groq, smtp, gateway] = await Promise.all([
      tavilyStandIn().start(),
      groqStandIn().start(),
      new SmtpSink().start(),
      new SandboxGateway().start(),
    ]);
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    troupe = await startTroupe({
      env: standInEnv({ tavily, groq, smtp, gateway }),
      logger: createLogger({ log: { level: 'debug', format: 'json' } }, 'privacy', sink),
    });
  });
  afterAll(async () => {
    await troupe?.stop();
    await Promise.all([tavily?.stop(), groq?.stop(), smtp?.stop(), gateway?.stop()]);
  });

  const workflowIds: string[] = [];
  const raw = async (workflowId: string) => {
    workflowIds.push(workflowId);
    const history = await downloadHistory(troupe.client, { workflowId });
    return { history, bytes: historyBytes(history).toString('latin1') };
  };
  const encryptedPayloads = (bytes: string) => bytes.split('binary/encrypted').length - 1;

  it('a lead: its raw history, state query and ids carry no name, email, company or research', async () => {
    const created = await http(`${troupe.url}/api/v1/leads`, { body: lead });
    expect(created.status).toBe(202);
    // The id is random: not the unsalted SHA-256 of the email it used to be, nor anything in it.
    expect(created.body.id).toMatch(/^ld_[0-9a-f]{24}$/);
    expect(created.body.id).not.toBe(legacyLeadId(lead.email));
    const done = await eventually(async () => {
      const got = await http(`${troupe.url}/api/v1/leads/${created.body.id}`);
      expect(got.body.status).toBe('COMPLETED');
      return got.body;
    });
    // The research really mentions the lead (so its absence below means it was encrypted).
    expect(JSON.stringify(done.research)).toContain(lead.company);

    const { history, bytes } = await raw(done.workflowId);
    expect(leaks(bytes)).toEqual([]);
    expect(encryptedPayloads(bytes)).toBeGreaterThan(5);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.input?.payloads?.[0]?.metadata?.encoding).toEqual(Buffer.from('binary/encrypted'));

    // A query's answer, asked without the codec, is ciphertext too.
    const answer = await troupe.client.workflowService.queryWorkflow({
      namespace: troupe.client.options.namespace,
      execution: { workflowId: done.workflowId },
      query: { queryType: 'leadState' },
    });
    const answerBytes = temporal.api.common.v1.Payloads.encode(answer.queryResult ?? {}).finish();
    expect(leaks(Buffer.from(answerBytes).toString('latin1'))).toEqual([]);
    expect(Buffer.from(answerBytes).toString('latin1')).toContain('binary/encrypted');
  });

  it('a booking declined once, confirmed, then cancelled (updates, a child payment, a refund, a failure)', async () => {
    const showId = await createShow(troupe.db, { priceMinor: 900 });
    const held = await http(`${troupe.url}/api/v1/bookings`, { body: { showId, seatIds: ['B1'], customer } });
    expect(held.status).toBe(201);
    const declined = await http(`${troupe.url}/api/v1/bookings/${held.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_chargeDeclined' },
    });
    expect(declined.status).toBeGreaterThanOrEqual(400);
    const confirmed = await http(`${troupe.url}/api/v1/bookings/${held.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    expect(confirmed.body.status).toBe('CONFIRMED');
    const cancelled = await http(`${troupe.url}/api/v1/bookings/${held.body.id}/cancel`, { method: 'POST' });
    expect(cancelled.body.status).toBe('CANCELLED');

    const booking = await raw(held.body.workflowId);
    expect(leaks(booking.bytes)).toEqual([]);
    expect(encryptedPayloads(booking.bytes)).toBeGreaterThan(5);
    const children = (booking.history.events ?? []).flatMap((e) => {
      const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      return id ? [id] : [];
    });
    expect(children.length).toBeGreaterThanOrEqual(2);
    for (const child of children) {
      await eventually(async () => {
        const payment = await raw(child);
        expect(leaks(payment.bytes)).toEqual([]);
        // The declined attempt's failure message and stack trace are in encrypted attributes.
        expect(
          payment.bytes.match(/.{0,80}(card was declined|at async|\.ts:\d+).{0,80}/i)?.[0],
        ).toBeUndefined();
      });
    }
  });

  it('a payment captured then partly refunded', async () => {
    const created = await http(`${troupe.url}/api/v1/payments`, {
      body: {
        amount: 5000,
        currency: 'EUR',
        paymentMethod: 'pm_card_mastercard',
        reference: paymentReference,
      },
      headers: { 'Idempotency-Key': `privacy-${tag}` },
    });
    expect(created.body.status).toBe('CAPTURED');
    const refunded = await http(`${troupe.url}/api/v1/payments/${created.body.id}/refund`, {
      body: { amount: 1000 },
    });
    expect(refunded.body.status).toBe('PARTIALLY_REFUNDED');
    const payment = await raw(created.body.workflowId);
    expect(leaks(payment.bytes)).toEqual([]);
    expect(encryptedPayloads(payment.bytes)).toBeGreaterThan(3);
  });

  it('workflow ids, search attributes and memos (described by the server) carry none of it', async () => {
    expect(workflowIds.length).toBeGreaterThanOrEqual(4);
    for (const workflowId of workflowIds) {
      expect(leaks(workflowId)).toEqual([]);
      expect(workflowId).not.toContain(legacyLeadId(lead.email).slice(3));
      const described = await troupe.client.workflowService.describeWorkflowExecution({
        namespace: troupe.client.options.namespace,
        execution: { workflowId },
      });
      const bytes =
        temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(described).finish();
      expect(leaks(Buffer.from(bytes).toString('latin1'))).toEqual([]);
    }
  });

  it('nor do the API and worker log lines or the API metrics', async () => {
    expect(logLines.length).toBeGreaterThan(10);
    expect(leaks(logLines.join('\n'))).toEqual([]);
    expect(sdkLogs.length).toBeGreaterThan(10);
    expect(leaks(JSON.stringify(sdkLogs, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))).toEqual([]);
    const metrics = await fetch(`${troupe.url}/metrics`);
    expect(leaks(await metrics.text())).toEqual([]);
  });
});
