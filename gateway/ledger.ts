import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { GatewayAuthorizationsTable, GatewayDatabase } from './schema';

type Trx = Transaction<GatewayDatabase>;
type Authorization = Omit<GatewayAuthorizationsTable, 'created_at' | 'updated_at'> & { created_at?: Date };

/** What an operation answers; 4xx outcomes are answers too, stored and replayed like successes. */
export interface Outcome {
  status: number;
  body: unknown;
}

/** Test payment methods, as a PSP's sandbox documents them. */
export const TEST_PAYMENT_METHODS: Record<string, { declineCode?: string; message?: string }> = {
  pm_card_visa: {},
  pm_card_mastercard: {},
  pm_card_chargeDeclined: { declineCode: 'card_declined', message: 'Your card was declined.' },
  pm_card_insufficientFunds: {
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
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

export function present(auth: Authorization) {
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
    ...(auth.decline_code && { decline_code: auth.decline_code }),
  };
}

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

const notAuthorized = (status: string) =>
  error(
    400,
    'invalid_request_error',
    'authorization_unexpected_state',
    `Authorization is ${status}, not authorized`,
  );
const missing = (id: string) =>
  error(404, 'invalid_request_error', 'resource_missing', `No such authorization: '${id}'`);

export async function authorize(
  trx: Trx,
  input: { amount: number; currency: string; payment_method: string; reference?: string },
  key: string,
): Promise<Outcome> {
  const method = TEST_PAYMENT_METHODS[input.payment_method];
  if (!method) {
    return error(
      400,
      'invalid_request_error',
      'resource_missing',
      `No such PaymentMethod: '${input.payment_method}'`,
      {
        param: 'payment_method',
      },
    );
  }
  const auth: Authorization = {
    id: newId('auth'),
    amount: input.amount,
    currency: input.currency.toUpperCase(),
    payment_method: input.payment_method,
    reference: input.reference ?? null,
    status: method.declineCode ? 'declined' : 'authorized',
    captured: 0,
    refunded: 0,
    decline_code: method.declineCode ?? null,
  };
  await trx.insertInto('gateway_authorizations').values(auth).execute();
  if (method.declineCode) {
    return error(402, 'card_error', method.declineCode, method.message ?? 'Declined', {
      authorization: present(auth),
    });
  }
  await ledger(trx, auth.id, 'authorize', auth.amount, key);
  return { status: 201, body: present(auth) };
}

export async function capture(
  trx: Trx,
  id: string,
  amount: number | undefined,
  key: string,
): Promise<Outcome> {
  const auth = await lockAuthorization(trx, id);
  if (!auth) return missing(id);
  if (auth.status !== 'authorized') {
    return notAuthorized(auth.status);
  }
  const captured = amount ?? auth.amount;
  if (captured > auth.amount) {
    return error(
      400,
      'invalid_request_error',
      'amount_too_large',
      `Cannot capture ${captured}; ${auth.amount} was authorized`,
    );
  }
  await trx
    .updateTable('gateway_authorizations')
    .set({ status: 'captured', captured, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
  await ledger(trx, id, 'capture', captured, key);
  return { status: 200, body: present({ ...auth, status: 'captured', captured }) };
}

export async function voidAuthorization(trx: Trx, id: string, key: string): Promise<Outcome> {
  const auth = await lockAuthorization(trx, id);
  if (!auth) return missing(id);
  if (auth.status !== 'authorized') {
    return notAuthorized(auth.status);
  }
  await trx
    .updateTable('gateway_authorizations')
    .set({ status: 'voided', updated_at: new Date() })
    .where('id', '=', id)
    .execute();
  await ledger(trx, id, 'void', 0, key);
  return { status: 200, body: present({ ...auth, status: 'voided' }) };
}

export async function refund(
  trx: Trx,
  id: string,
  amount: number | undefined,
  key: string,
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
  const total = auth.refunded + refunded;
  const status = total === auth.captured ? 'refunded' : 'partially_refunded';
  await trx
    .updateTable('gateway_authorizations')
    .set({ status, refunded: total, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
  await ledger(trx, id, 'refund', refunded, key);
  return {
    status: 201,
    body: {
      id: newId('re'),
      object: 'refund',
      amount: refunded,
      status: 'succeeded',
      authorization: present({ ...auth, status, refunded: total }),
    },
  };
}
