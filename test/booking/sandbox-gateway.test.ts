import { GATEWAY_KEY, SandboxGateway } from '../support/gateway';
import { http } from '../support/harness';

describe('the sandbox payment gateway behaves like a PSP', () => {
  let gateway: SandboxGateway;
  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
  });
  afterAll(async () => gateway?.stop());

  const post = (path: string, body: object, key?: string, apiKey = GATEWAY_KEY) =>
    http(`${gateway.url}${path}`, {
      body,
      headers: { authorization: `Bearer ${apiKey}`, ...(key && { 'idempotency-key': key }) },
    });
  const authorization = (reference: string) => ({
    amount: 1000,
    currency: 'EUR',
    payment_method: 'pm_card_visa',
    reference,
  });

  it('refuses calls without the API key or without an idempotency key', async () => {
    expect((await post('/v1/authorizations', authorization('r'), 'k-1', 'sk_wrong')).status).toBe(401);
    const noKey = await post('/v1/authorizations', authorization('r'));
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.code).toBe('idempotency_key_missing');
  });

  it('the same key and body answers the same, concurrently too, and charges once; another body is refused', async () => {
    const key = `same-${Date.now()}`;
    const reference = `ref-${key}`;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post('/v1/authorizations', authorization(reference), key)),
    );
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.every((a) => a.status === 201)).toBe(true);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);
    expect(await gateway.ledger(reference)).toEqual([{ kind: 'authorize', amount: 1000 }]);

    const reused = await post('/v1/authorizations', { ...authorization(reference), amount: 999 }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
  });

  it('declines pm_card_chargeDeclined with 402, and never refunds more than was captured', async () => {
    const declined = await post(
      '/v1/authorizations',
      { ...authorization('d'), payment_method: 'pm_card_chargeDeclined' },
      `d-${Date.now()}`,
    );
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      authorization: { status: 'declined' },
    });

    const t = Date.now();
    const auth = await post('/v1/authorizations', authorization(`c-${t}`), `c-${t}`);
    expect(
      (await post(`/v1/authorizations/${auth.body.id}/refunds`, { amount: 1 }, `c-${t}-r0`)).status,
    ).toBe(400);
    expect((await post(`/v1/authorizations/${auth.body.id}/capture`, {}, `c-${t}-c`)).body.status).toBe(
      'captured',
    );
    expect(
      (await post(`/v1/authorizations/${auth.body.id}/refunds`, { amount: 600 }, `c-${t}-r1`)).status,
    ).toBe(201);
    const over = await post(`/v1/authorizations/${auth.body.id}/refunds`, { amount: 401 }, `c-${t}-r2`);
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('amount_too_large');
  });

  it('injected faults: before acting, nothing is recorded; after, the change stands and a retry replays it', async () => {
    const t = Date.now();
    await gateway.inject({ operation: 'authorize', phase: 'before', status: 503 });
    expect((await post('/v1/authorizations', authorization(`f-${t}`), `f-${t}`)).status).toBe(503);
    expect(await gateway.ledger(`f-${t}`)).toEqual([]);

    await gateway.inject({ operation: 'authorize', phase: 'after', status: 502 });
    expect((await post('/v1/authorizations', authorization(`g-${t}`), `g-${t}`)).status).toBe(502);
    expect(await gateway.ledger(`g-${t}`)).toEqual([{ kind: 'authorize', amount: 1000 }]);
    const retry = await post('/v1/authorizations', authorization(`g-${t}`), `g-${t}`);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await gateway.ledger(`g-${t}`)).toHaveLength(1);
  });
});
