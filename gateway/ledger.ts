import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { fromJson } from '../db';
import type { Emit } from './events';
import type { AuthorizationStatus, GatewayAuthorizationsTable, GatewayDatabase } from './schema';

type Trx = Transaction<GatewayDatabase>;
type Row = Selectable<GatewayAuthorizationsTable>;

/** What an operation answers; 4xx outcomes are answers too, stored and replayed like successes. */
export interface Outcome {
  status: number;
  body: unknown;
}

interface TestMethod {
  declineCode?: string;
  message?: string;
  /** Asynchronous (UPI collect, bank redirect): authorizing answers `pending`; the customer decides later. */
  async?: boolean;
  /** Refunds are declined by the bank (to exercise `refund.failed`). */
  refundFails?: boolean;
}

/** Test payment methods, as a PSP's sandbox documents them. */
export const TEST_PAYMENT_METHODS: Record<string, TestMethod> = {
  pm_card_visa: {},
  pm_card_mastercard: {},
  pm_card_chargeDeclined: { declineCode: 'card_declined', message: 'Your card was declined.' },
  pm_card_insufficientFunds: {
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_refundFails: { refundFails: true },
  pm_upi_collect: { async: true },
};

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export const error = (
  status: number,
  type: string,
  code: string,
  message: string,
  extra: object = {},
): Outcome => ({
  status,
  body: { error: { type, code, message, ...extra } },
});

export function present(auth: Row) {
  return {
    id: auth.id,
    object: 'authorization',
    status: auth.status,
    amount: auth.amount,
    currency: auth.currency,
    captured: auth.captured,
    refunded: auth.refunded,
    reference: auth.reference,
    payment_method: auth.payment_method,
    metadata: fromJson<Record<string, string>>(auth.metadata) ?? {},
    version: auth.version,
    ...(auth.decline_code && { decline_code: auth.decline_code }),
    ...(auth.status === 'pending' && {
      expires_at: auth.expires_at?.toISOString(),
      next_action: { type: 'approve_in_app', approve_url: `/_sandbox/authorizations/${auth.id}/approve` },
    }),
  };
}
export type PresentedAuthorization = ReturnType<typeof present>;

async function ledger(
  trx: Trx,
  authorizationId: string,
  kind: 'authorize' | 'capture' | 'void' | 'refund',
  amount: number,
  key: string,
) {
  await trx
    .insertInto('gateway_ledger')
    .values({ authorization_id: authorizationId, kind, amount, idempotency_key: key })
    .execute();
}

async function lockAuthorization(trx: Trx, id: string) {
  return trx
    .selectFrom('gateway_authorizations')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/** Applies a change to a locked authorization, bumping its version; returns it as it now is. */
async function change(
  trx: Trx,
  auth: Row,
  set: Partial<Pick<Row, 'status' | 'captured' | 'refunded' | 'decline_code' | 'expires_at'>>,
): Promise<Row> {
  const next = { ...auth, ...set, version: auth.version + 1 };
  await trx
    .updateTable('gateway_authorizations')
    .set({ ...set, version: next.version, updated_at: new Date() })
    .where('id', '=', auth.id)
    .execute();
  return next;
}

const notIn = (status: string, expected: string) =>
  error(
    400,
    'invalid_request_error',
    'authorization_unexpected_state',
    `Authorization is ${status}, not ${expected}`,
  );
const missing = (id: string) =>
  error(404, 'invalid_request_error', 'resource_missing', `No such authorization: '${id}'`);

export interface AuthorizeInput {
  amount: number;
  currency: string;
  payment_method: string;
  reference?: string;
  metadata?: Record<string, string>;
}

export async function authorize(
  trx: Trx,
  input: AuthorizeInput,
  key: string,
  emit: Emit,
  pendingSeconds: number,
): Promise<Outcome> {
  const method = TEST_PAYMENT_METHODS[input.payment_method];
  if (!method) {
    return error(
      400,
      'invalid_request_error',
      'resource_missing',
      `No such PaymentMethod: '${input.payment_method}'`,
      { param: 'payment_method' },
    );
  }
  const status: AuthorizationStatus = method.declineCode
    ? 'declined'
    : method.async
      ? 'pending'
      : 'authorized';
  const auth = {
    id: newId('auth'),
    amount: input.amount,
    currency: input.currency.toUpperCase(),
    payment_method: input.payment_method,
    reference: input.reference ?? null,
    status,
    captured: 0,
    refunded: 0,
    decline_code: method.declineCode ?? null,
    metadata: input.metadata ? JSON.stringify(input.metadata) : null,
    expires_at: method.async ? new Date(Date.now() + pendingSeconds * 1000) : null,
    version: 1,
  };
  await trx.insertInto('gateway_authorizations').values(auth).execute();
  const row = { ...auth, metadata: input.metadata ?? null, created_at: new Date(), updated_at: new Date() };
  if (method.declineCode) {
    await emit(trx, 'payment.failed', auth.id, { object: present(row) });
    return error(402, 'card_error', method.declineCode, method.message ?? 'Declined', {
      authorization: present(row),
    });
  }
  // A pending authorization is announced when the customer decides (or it expires), not now.
  if (status === 'authorized') {
    await ledger(trx, auth.id, 'authorize', auth.amount, key);
    await emit(trx, 'payment.authorized', auth.id, { object: present(row) });
  }
  return { status: 201, body: present(row) };
}

/** The customer approves (or declines) an asynchronous payment in their app. Not idempotency-keyed. */
export async function decide(
  db: Kysely<GatewayDatabase>,
  id: string,
  decision: 'approve' | 'decline',
  emit: Emit,
): Promise<Outcome> {
  return db.transaction().execute(async (trx) => {
    const auth = await lockAuthorization(trx, id);
    if (!auth) return missing(id);
    if (auth.status !== 'pending') return notIn(auth.status, 'pending');
    if (auth.expires_at && auth.expires_at.getTime() <= Date.now()) {
      return error(409, 'invalid_request_error', 'authorization_expired', 'The payment request has expired');
    }
    if (decision === 'approve') {
      const next = await change(trx, auth, { status: 'authorized', expires_at: null });
      await ledger(trx, id, 'authorize', auth.amount, `customer:${id}:approve`);
      await emit(trx, 'payment.authorized', id, { object: present(next) });
      return { status: 200, body: present(next) };
    }
    const next = await change(trx, auth, {
      status: 'declined',
      decline_code: 'customer_declined',
      expires_at: null,
    });
    await emit(trx, 'payment.failed', id, { object: present(next) });
    return { status: 200, body: present(next) };
  });
}

/** Pending authorizations whose time ran out become `expired` (announced as `payment.failed`). */
export async function expirePending(db: Kysely<GatewayDatabase>, emit: Emit): Promise<number> {
  const due = await db
    .selectFrom('gateway_authorizations')
    .select('id')
    .where('status', '=', 'pending')
    .where('expires_at', '<=', new Date())
    .limit(100)
    .execute();
  let expired = 0;
  for (const { id } of due) {
    await db.transaction().execute(async (trx) => {
      const auth = await lockAuthorization(trx, id);
      if (auth?.status !== 'pending') return;
      const next = await change(trx, auth, { status: 'expired', decline_code: 'expired' });
      await emit(trx, 'payment.failed', id, { object: present(next) });
      expired++;
    });
  }
  return expired;
}

export async function capture(
  trx: Trx,
  id: string,
  amount: number | undefined,
  key: string,
  emit: Emit,
): Promise<Outcome> {
  const auth = await lockAuthorization(trx, id);
  if (!auth) return missing(id);
  if (auth.status !== 'authorized') return notIn(auth.status, 'authorized');
  const captured = amount ?? auth.amount;
  if (captured > auth.amount) {
    return error(
      400,
      'invalid_request_error',
      'amount_too_large',
      `Cannot capture ${captured}; ${auth.amount} was authorized`,
    );
  }
  const next = await change(trx, auth, { status: 'captured', captured });
  await ledger(trx, id, 'capture', captured, key);
  await emit(trx, 'payment.captured', id, { object: present(next) });
  return { status: 200, body: present(next) };
}

/** Releases an authorization nobody captured, or withdraws a pending request. */
export async function voidAuthorization(trx: Trx, id: string, key: string, emit: Emit): Promise<Outcome> {
  const auth = await lockAuthorization(trx, id);
  if (!auth) return missing(id);
  if (auth.status !== 'authorized' && auth.status !== 'pending') return notIn(auth.status, 'authorized');
  const next = await change(trx, auth, { status: 'voided', expires_at: null });
  await ledger(trx, id, 'void', 0, key);
  await emit(trx, 'payment.voided', id, { object: present(next) });
  return { status: 200, body: present(next) };
}

export async function refund(
  trx: Trx,
  id: string,
  amount: number | undefined,
  key: string,
  emit: Emit,
): Promise<Outcome> {
  const auth = await lockAuthorization(trx, id);
  if (!auth) return missing(id);
  if (auth.status !== 'captured' && auth.status !== 'partially_refunded') {
    return error(
      400,
      'invalid_request_error',
      'charge_not_captured',
      `Authorization is ${auth.status}; only captured money can be refunded`,
    );
  }
  const remaining = auth.captured - auth.refunded;
  const refunded = amount ?? remaining;
  if (refunded <= 0 || refunded > remaining) {
    return error(
      400,
      'invalid_request_error',
      'amount_too_large',
      `Cannot refund ${refunded}; ${remaining} is left to refund`,
    );
  }
  const refundId = newId('re');
  if (TEST_PAYMENT_METHODS[auth.payment_method]?.refundFails) {
    await emit(trx, 'refund.failed', id, {
      object: present(auth),
      refund: { id: refundId, amount: refunded, status: 'failed', idempotency_key: key },
    });
    return error(402, 'refund_error', 'refund_failed', 'The bank declined the refund', {
      refund: { id: refundId, amount: refunded, status: 'failed' },
    });
  }
  const total = auth.refunded + refunded;
  const next = await change(trx, auth, {
    status: total === auth.captured ? 'refunded' : 'partially_refunded',
    refunded: total,
  });
  await ledger(trx, id, 'refund', refunded, key);
  await emit(trx, 'refund.processed', id, {
    object: present(next),
    refund: { id: refundId, amount: refunded, status: 'succeeded', idempotency_key: key },
  });
  return {
    status: 201,
    body: {
      id: refundId,
      object: 'refund',
      amount: refunded,
      status: 'succeeded',
      authorization: present(next),
    },
  };
}
