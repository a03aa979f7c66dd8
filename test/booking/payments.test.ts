import { SandboxGateway } from '../support/gateway';
import { http, startTroupe, type Troupe } from '../support/harness';
import { recordHistory } from '../support/histories';

describe('payments: authorize, capture and refund, each exactly once', () => {
  let gateway: SandboxGateway;
  let troupe: Troupe;

  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
    troupe = await startTroupe({
      env: { PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT_MS: '1000' },
    });
  });
  afterAll(async () => {
    await troupe?.stop();
    await gateway?.stop();
  });

  let n = 0;
  const key = () => `pay-test-${Date.now()}-${++n}`;
  const pay = (body: object, idempotencyKey = key()) =>
    http(`${troupe.url}/api/v1/payments`, { body, headers: { 'Idempotency-Key': idempotencyKey } });
  const refund = (id: string, body: object = {}, headers: Record<string, string> = {}) =>
    http(`${troupe.url}/api/v1/payments/${id}/refund`, { body, headers });
  const order = (extra: object = {}) => ({
    amount: 4200,
    currency: 'EUR',
    paymentMethod: 'pm_card_visa',
    reference: `order-${Date.now()}-${++n}`,
    ...extra,
  });

  it('captures at once, then refunds in parts, never more than was captured', async () => {
    const body = order();
    const created = await pay(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'CAPTURED',
      capturedAmount: 4200,
      refundedAmount: 0,
      captureMode: 'automatic',
    });
    expect(created.headers.get('location')).toBe(`/api/v1/payments/${created.body.id}`);

    const part = await refund(created.body.id, { amount: 1200 }, { 'Idempotency-Key': 'refund-part-1' });
    expect(part.body).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 1200 });
    // The history so far: a run that is PARTIALLY_REFUNDED, as many are in production.
    recordHistory(created.body.workflowId, 'payment-partially-refunded');
    const replayed = await refund(created.body.id, { amount: 1200 }, { 'Idempotency-Key': 'refund-part-1' });
    expect(replayed.status).toBe(200);
    expect(replayed.body.refundedAmount).toBe(1200);

    const tooMuch = await refund(created.body.id, { amount: 3001 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.detail).toBe('cannot refund 3001; 3000 is left to refund');

    const rest = await refund(created.body.id);
    expect(rest.body).toMatchObject({ status: 'REFUNDED', refundedAmount: 4200 });
    expect((await refund(created.body.id, { amount: 1 })).status).toBe(409);

    expect(await gateway.ledger(body.reference)).toEqual([
      { kind: 'authorize', amount: 4200 },
      { kind: 'capture', amount: 4200 },
      { kind: 'refund', amount: 1200 },
      { kind: 'refund', amount: 3000 },
    ]);
    const got = await http(`${troupe.url}/api/v1/payments/${created.body.id}`);
    expect(got.body.refunds).toEqual([
      { id: 'refund-part-1', amount: 1200, status: 'SUCCEEDED' },
      { id: expect.any(String), amount: 3000, status: 'SUCCEEDED' },
    ]);
    await troupe.client.workflow.getHandle(created.body.workflowId).result();
    recordHistory(created.body.workflowId, 'payment-refunded-in-parts');
  });

  it('manual capture: AUTHORIZED first, captured on request, once', async () => {
    const created = await pay(order({ capture: 'manual' }));
    expect(created.body).toMatchObject({ status: 'AUTHORIZED', capturedAmount: 0 });
    expect((await refund(created.body.id)).status).toBe(409);
    const over = await http(`${troupe.url}/api/v1/payments/${created.body.id}/capture`, {
      body: { amount: 5000 },
    });
    expect(over.status).toBe(422);
    const captured = await http(`${troupe.url}/api/v1/payments/${created.body.id}/capture`, {
      body: { amount: 4000 },
    });
    expect(captured.body).toMatchObject({ status: 'CAPTURED', capturedAmount: 4000 });
    const twice = await http(`${troupe.url}/api/v1/payments/${created.body.id}/capture`, { body: {} });
    expect(twice.status).toBe(409);
    recordHistory(created.body.workflowId, 'payment-authorized-then-captured');
  });

  it('the same Idempotency-Key returns the same payment and charges once; the key is required', async () => {
    const body = order();
    const k = key();
    const [a, b] = await Promise.all([pay(body, k), pay(body, k)]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).toBe(a.body.id);
    expect(await gateway.ledger(body.reference)).toEqual([
      { kind: 'authorize', amount: 4200 },
      { kind: 'capture', amount: 4200 },
    ]);
    const missing = await http(`${troupe.url}/api/v1/payments`, { body: order() });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('header.idempotency-key');
  });

  it('a declined card is 402; an unknown payment method is 422', async () => {
    const declined = await pay(order({ paymentMethod: 'pm_card_chargeDeclined' }));
    expect(declined.status).toBe(402);
    expect(declined.body.payment).toMatchObject({ status: 'DECLINED', capturedAmount: 0 });
    const unknown = await pay(order({ paymentMethod: 'pm_card_unknown' }));
    expect(unknown.status).toBe(422);
    expect(unknown.body.payment.error.message).toMatch(/No such PaymentMethod/);
    recordHistory(declined.body.payment.workflowId, 'payment-declined');
    recordHistory(unknown.body.payment.workflowId, 'payment-failed-unknown-method');
  });

  it('the gateway failing with 5xx twice (after committing) then answering: captured exactly once', async () => {
    const body = order();
    await gateway.inject({ operation: 'capture', phase: 'after', status: 503, times: 2 });
    const created = await pay(body);
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('CAPTURED');
    expect((await gateway.ledger(body.reference)).filter((e) => e.kind === 'capture')).toEqual([
      { kind: 'capture', amount: 4200 },
    ]);
    const history = await troupe.client.workflow.getHandle(created.body.workflowId).fetchHistory();
    const attempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a): a is number => typeof a === 'number');
    expect(Math.max(...attempts)).toBe(3);
  });

  it('the gateway timing out (after committing) is retried with the same key: captured exactly once', async () => {
    const body = order();
    // The answer is held for 3 s; the client gives up after 1 s (PAYMENT_GATEWAY_TIMEOUT_MS) and retries.
    await gateway.inject({ operation: 'capture', phase: 'after', delayMs: 3000, times: 1 });
    const created = await pay(body);
    expect(created.body.status).toBe('CAPTURED');
    expect((await gateway.ledger(body.reference)).filter((e) => e.kind === 'capture')).toHaveLength(1);
  });
});
