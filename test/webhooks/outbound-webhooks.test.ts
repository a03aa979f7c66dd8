import { Webhook } from 'standardwebhooks';
import { webhookPoster } from '../../activities/webhooks/http';
import { assertCallable } from '../../api/webhook-endpoints/url-policy';
import { webhookDeliveryWorkflowId } from '../../workflows/webhooks/shared';
import { prepareDatabase } from '../support/environment';
import { SandboxGateway } from '../support/gateway';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { recordHistory } from '../support/histories';
import { createShow } from '../support/inventory';
import { freePort } from '../support/ports';
import { SmtpSink } from '../support/smtp-sink';
import { WebhookReceiver } from '../support/webhook-receiver';

// Signed outbound webhooks, end to end against real receivers: the workflows emit, the worker
// delivers on its own task queue, and every signature is checked with the Standard Webhooks library's
// own `verify` (never Troupe's signing code).
describe('outbound webhooks', () => {
  let troupe: Troupe;
  let receiver: WebhookReceiver;
  let smtp: SmtpSink;
  let gateway: SandboxGateway;
  const api = (path: string, init?: Parameters<typeof http>[1]) => http(`${troupe.url}/api/v1${path}`, init);

  beforeAll(async () => {
    const mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_outbound`);
    [receiver, smtp, gateway] = await Promise.all([
      new WebhookReceiver().start(),
      new SmtpSink().start(),
      new SandboxGateway().start(),
    ]);
    troupe = await startTroupe({
      env: {
        MYSQL_URL: mysqlUrl,
        SMTP_URL: smtp.url,
        PAYMENT_GATEWAY_URL: gateway.url,
        WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s,1s,1s,1s,1s',
        WEBHOOK_TIMEOUT_MS: '1500',
        WEBHOOK_DISABLE_AFTER_SECONDS: '4',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await troupe?.stop();
    await Promise.all([receiver?.stop(), smtp?.stop(), gateway?.stop()]);
  });

  const subscribe = async (path: string, events: string[], url = `${receiver.url}${path}`) => {
    const created = await api('/webhook-endpoints', { body: { url, events, description: path } });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  };
  const verify = (secret: string, delivery: { body: string; headers: Record<string, unknown> }) =>
    new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as {
      id: string;
      type: string;
      data: Record<string, unknown>;
    };
  const deliveries = async (endpointId: string) =>
    (await api(`/webhook-endpoints/${endpointId}/deliveries`)).body.items as {
      id: string;
      eventId: string;
      status: string;
      attempts: { statusCode: number | null; error: string | null; responseBody: string | null }[];
    }[];

  it('subscribes, shows the secret once, and validates what it is given', async () => {
    const endpoint = await subscribe('/crud', ['lead.completed']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const shown = await api(`/webhook-endpoints/${endpoint.id}`);
    expect(shown.body).toMatchObject({ id: endpoint.id, enabled: true, events: ['lead.completed'] });
    expect(JSON.stringify(shown.body)).not.toContain(endpoint.secret);
    // Stored sealed, never in clear.
    const row = await troupe.db
      .selectFrom('webhook_endpoints')
      .select('secret')
      .where('id', '=', endpoint.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^sealed:/);
    expect(row.secret).not.toContain(endpoint.secret.slice(6));

    const bad = await api('/webhook-endpoints', { body: { url: 'ftp://x.test', events: ['lead.sold'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.events.0',
      'body.url',
    ]);
    const patched = await api(`/webhook-endpoints/${endpoint.id}`, {
      method: 'PATCH',
      body: { events: ['lead.failed', 'lead.completed'] },
    });
    expect(patched.body.events).toEqual(['lead.failed', 'lead.completed']);
    expect((await api(`/webhook-endpoints/${endpoint.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
  });

  it('delivers lead.completed, signed, with the lead as GET shows it', async () => {
    const endpoint = await subscribe('/leads', ['lead.completed', 'lead.failed']);
    const lead = await api('/leads', { body: newLead() });
    expect(lead.status).toBe(202);
    const [got] = await eventually(async () => {
      const hits = receiver.at('/leads');
      expect(hits).toHaveLength(1);
      return hits;
    });
    const event = verify(endpoint.secret, got as never);
    expect(event).toMatchObject({ type: 'lead.completed', data: { id: lead.body.id, status: 'COMPLETED' } });
    expect(got?.headers['webhook-id']).toBe(event.id);
    expect((await api(`/leads/${lead.body.id}`)).body).toEqual(event.data);
    const [logged] = await eventually(async () => {
      const log = await deliveries(endpoint.id);
      expect(log[0]?.status).toBe('delivered');
      return log;
    });
    expect(logged).toMatchObject({ eventId: event.id, attempts: [{ statusCode: 200, error: null }] });
    recordHistory(lead.body.workflowId, 'lead-completed-with-webhook');
    recordHistory(webhookDeliveryWorkflowId(logged?.id ?? ''), 'webhook-delivery-delivered');
  });

  it('retries a 500 with the same webhook-id until it is taken, and redelivers on request', async () => {
    const endpoint = await subscribe('/flaky', ['lead.completed']);
    receiver.script('/flaky', [500, { status: 503, body: 'x'.repeat(5_000) }, 200]);
    await api('/leads', { body: newLead() });
    const hits = await eventually(async () => {
      const seen = receiver.at('/flaky');
      expect(seen).toHaveLength(3);
      return seen;
    }, 20_000);
    expect(new Set(hits.map((h) => h.headers['webhook-id'])).size).toBe(1);
    for (const hit of hits) verify(endpoint.secret, hit as never); // each attempt is signed afresh
    const [delivery] = await eventually(async () => {
      const log = await deliveries(endpoint.id);
      expect(log[0]?.status).toBe('delivered');
      return log;
    });
    expect(delivery?.attempts.map((a) => a.statusCode)).toEqual([500, 503, 200]);
    expect(delivery?.attempts[1]?.responseBody).toHaveLength(1024);
    recordHistory(webhookDeliveryWorkflowId(delivery?.id ?? ''), 'webhook-delivery-retried');

    const again = await api(`/webhook-endpoints/${endpoint.id}/deliveries/${delivery?.id}/redeliver`, {
      method: 'POST',
    });
    expect(again.status).toBe(202);
    await eventually(async () => expect(receiver.at('/flaky')).toHaveLength(4));
    expect(receiver.at('/flaky')[3]?.headers['webhook-id']).toBe(hits[0]?.headers['webhook-id']);
  });

  it('stops at 410 Gone and disables the endpoint, saying why', async () => {
    const endpoint = await subscribe('/gone', ['lead.completed']);
    receiver.script('/gone', [410]);
    await api(`/webhook-endpoints/${endpoint.id}/test`, { method: 'POST' });
    await eventually(async () => expect((await deliveries(endpoint.id))[0]?.status).toBe('gone'));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.at('/gone')).toHaveLength(1);
    expect((await api(`/webhook-endpoints/${endpoint.id}`)).body).toMatchObject({
      enabled: false,
      disabledReason: 'the receiver answered 410 Gone',
    });
  });

  it('records a receiver slower than the timeout and a redirect as failures, and never follows it', async () => {
    const endpoint = await subscribe('/slow', ['lead.completed']);
    receiver.script('/slow', [
      { status: 200, delayMs: 3_000 },
      { status: 302, headers: { location: `${receiver.url}/elsewhere` } },
      200,
    ]);
    await api(`/webhook-endpoints/${endpoint.id}/test`, { method: 'POST' });
    const [delivery] = await eventually(async () => {
      const log = await deliveries(endpoint.id);
      expect(log[0]?.status).toBe('delivered');
      return log;
    }, 20_000);
    expect(delivery?.attempts.map((a) => [a.statusCode, a.error])).toEqual([
      [null, 'no answer within 1500 ms'],
      [302, `redirects are not followed (Location: ${receiver.url}/elsewhere)`],
      [200, null],
    ]);
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });

  it('delivers to a receiver that was down, once it is up, and disables one that stays down', async () => {
    const port = await freePort();
    const late = await subscribe('/late', ['lead.completed'], `http://127.0.0.1:${port}/late`);
    await api(`/webhook-endpoints/${late.id}/test`, { method: 'POST' });
    await eventually(async () => expect((await deliveries(late.id))[0]?.attempts.length).toBeGreaterThan(0));
    const up = await new WebhookReceiver().start(port);
    try {
      const [hit] = await eventually(async () => {
        expect(up.at('/late')).toHaveLength(1);
        return up.at('/late');
      });
      expect(verify(late.secret, hit as never).type).toBe('ping');
      const [delivery] = await eventually(async () => {
        const log = await deliveries(late.id);
        expect(log[0]?.status).toBe('delivered');
        return log;
      });
      expect(delivery?.attempts[0]?.error).toMatch(/ECONNREFUSED/);
      recordHistory(webhookDeliveryWorkflowId(delivery?.id ?? ''), 'webhook-delivery-receiver-down-then-up');
    } finally {
      await up.stop();
    }

    const dead = await subscribe('/dead', ['lead.completed'], `http://127.0.0.1:${await freePort()}/dead`);
    await api(`/webhook-endpoints/${dead.id}/test`, { method: 'POST' });
    const disabled = await eventually(async () => {
      const shown = (await api(`/webhook-endpoints/${dead.id}`)).body;
      expect(shown.enabled).toBe(false);
      return shown;
    }, 20_000);
    expect(disabled.disabledReason).toMatch(
      /^every delivery failed since .* \(WEBHOOK_DISABLE_AFTER_SECONDS=4\)$/,
    );
    const [given] = await deliveries(dead.id);
    expect(given?.status).toBe('disabled');
    recordHistory(webhookDeliveryWorkflowId(given?.id ?? ''), 'webhook-delivery-gave-up-disabled');
    const enabled = await api(`/webhook-endpoints/${dead.id}`, { method: 'PATCH', body: { enabled: true } });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
  });

  it('signs with both secrets during a rotation', async () => {
    const endpoint = await subscribe('/rotate', ['lead.completed']);
    const rotated = await api(`/webhook-endpoints/${endpoint.id}/rotate-secret`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(rotated.body.rotation.previousSecretUntil).toBeDefined();
    await api(`/webhook-endpoints/${endpoint.id}/test`, { method: 'POST' });
    const [hit] = await eventually(async () => {
      expect(receiver.at('/rotate')).toHaveLength(1);
      return receiver.at('/rotate');
    });
    expect(String(hit?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(endpoint.secret, hit as never).type).toBe('ping');
    expect(verify(rotated.body.secret, hit as never).type).toBe('ping');
  });

  it('tells about bookings and their payments', async () => {
    const endpoint = await subscribe('/bookings', [
      'booking.reserved',
      'booking.confirmed',
      'payment.captured',
    ]);
    const showId = await createShow(troupe.db, { priceMinor: 900 });
    const held = await api('/bookings', {
      body: { showId, seatIds: ['A1'], customer: { name: 'Ada', email: 'ada@troupe.test' } },
    });
    expect(
      (await api(`/bookings/${held.body.id}/confirm`, { body: { paymentMethod: 'pm_card_visa' } })).status,
    ).toBe(200);
    const events = await eventually(async () => {
      const hits = receiver.at('/bookings').map((h) => verify(endpoint.secret, h as never));
      expect(hits.map((e) => e.type).sort()).toEqual([
        'booking.confirmed',
        'booking.reserved',
        'payment.captured',
      ]);
      return hits;
    });
    expect(events.find((e) => e.type === 'booking.confirmed')?.data).toMatchObject({
      id: held.body.id,
      status: 'CONFIRMED',
    });
    expect(events.find((e) => e.type === 'payment.captured')?.data).toMatchObject({
      status: 'CAPTURED',
      amount: 900,
    });
    recordHistory(held.body.workflowId, 'booking-confirmed-with-webhooks');
    const payment = events.find((e) => e.type === 'payment.captured')?.data as { workflowId: string };
    recordHistory(payment.workflowId, 'payment-captured-with-webhook');
  });
});

describe('webhook URLs outside WEBHOOK_ALLOW_PRIVATE', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
  });
  afterAll(() => receiver.stop());

  it('are refused when subscribed: plain http, and literal private or loopback addresses', () => {
    for (const url of [
      'http://crm.example.com/hook',
      'https://127.0.0.1/hook',
      'https://10.0.0.7/',
      'https://[::1]/',
      'https://169.254.169.254/latest',
      'https://localhost:8443/',
    ])
      expect(() => assertCallable(url, false)).toThrow(/WEBHOOK_ALLOW_PRIVATE is off/);
    expect(() => assertCallable('https://crm.example.com/hook', false)).not.toThrow();
    expect(() => assertCallable('http://127.0.0.1:9000/hook', true)).not.toThrow();
  });

  it('are refused at connect time, after DNS: a name that resolves to a private address never gets a request', async () => {
    const post = webhookPoster({ timeoutMs: 2_000, allowPrivate: false });
    const port = new URL(receiver.url).port;
    // `localhost` passes as a name and resolves to loopback, as a rebinding name would.
    const outcome = await post(`https://localhost:${port}/rebind`, {}, '{}');
    expect(outcome).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/^refused: DNS lookup .* is not allowed/),
    });
    expect((await post(`http://127.0.0.1:${port}/plain`, {}, '{}')).error).toMatch(/^refused: only https/);
    expect(receiver.received).toHaveLength(0);
    // The same poster with private addresses allowed reaches the receiver.
    const allowed = await webhookPoster({ timeoutMs: 2_000, allowPrivate: true })(
      `${receiver.url}/ok`,
      {},
      '{}',
    );
    expect(allowed.statusCode).toBe(200);
  });
});
