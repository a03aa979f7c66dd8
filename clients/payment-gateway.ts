import { z } from 'zod';
import type { AuthorizationView } from '../workflows/payment/shared';
import { describeBody, HttpError, readBody } from './http-error';
import { retryAfterMs } from './retry-after';

export const GATEWAY_AUTHORIZATION_STATUSES = [
  'pending',
  'authorized',
  'declined',
  'expired',
  'captured',
  'voided',
  'partially_refunded',
  'refunded',
] as const;

export const authorizationSchema = z.object({
  id: z.string(),
  status: z.enum(GATEWAY_AUTHORIZATION_STATUSES),
  amount: z.int(),
  currency: z.string(),
  captured: z.int(),
  refunded: z.int(),
  decline_code: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /** Grows with every change: the newer of two views of one authorization has the higher version. */
  version: z.int().optional(),
  /** For a pending (asynchronous) payment: when the request lapses if the customer does nothing. */
  expires_at: z.string().optional(),
});
export type GatewayAuthorization = z.infer<typeof authorizationSchema>;

const declineSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), authorization: authorizationSchema }),
});
const refundSchema = z.object({
  id: z.string(),
  amount: z.int(),
  status: z.string(),
  authorization: authorizationSchema,
});
export type GatewayRefund = z.infer<typeof refundSchema>;

export type AuthorizeResult =
  | { outcome: 'authorized'; authorization: GatewayAuthorization }
  /** An asynchronous method: the customer approves in their app; a webhook (or a read) tells the outcome. */
  | { outcome: 'pending'; authorization: GatewayAuthorization }
  | { outcome: 'declined'; authorization: GatewayAuthorization; code: string; message: string };

/**
 * The payment gateway as Troupe's activities see it: every mutating call carries an idempotency key
 * derived from the workflow, so a retried or replayed call is answered from the gateway's record.
 */
export interface PaymentGateway {
  authorize(
    input: {
      amount: number;
      currency: string;
      paymentMethod: string;
      reference?: string;
      /** Kept by the gateway and sent back in its webhooks: Troupe's payment id goes here. */
      metadata?: Record<string, string>;
    },
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<AuthorizeResult>;
  /** The authorization as the gateway has it now. */
  get(authorizationId: string, signal?: AbortSignal): Promise<GatewayAuthorization>;
  /** Authorizations made in [from, to), oldest first, page by page. */
  list(range: { from: Date; to: Date }, signal?: AbortSignal): AsyncIterable<GatewayAuthorization>;
  capture(
    authorizationId: string,
    amount: number | undefined,
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<GatewayAuthorization>;
  void(authorizationId: string, idempotencyKey: string, signal?: AbortSignal): Promise<GatewayAuthorization>;
  refund(
    authorizationId: string,
    amount: number,
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<GatewayRefund>;
}

/** The HTTP client for the sandbox gateway (and any PSP that speaks its API). */
export class HttpPaymentGateway implements PaymentGateway {
  constructor(private readonly options: { baseUrl: string; apiKey: string; timeoutMs: number }) {}

  private async post(path: string, body: object, idempotencyKey: string, signal?: AbortSignal) {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const response = await fetch(new URL(path, this.options.baseUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${this.options.apiKey}`,
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    return {
      status: response.status,
      body: await readBody(response),
      retryAfterMs: retryAfterMs(response.headers),
    };
  }

  private fail(answer: { status: number; body: unknown; retryAfterMs: number | undefined }): never {
    throw new HttpError(
      'Payment gateway',
      answer.status,
      describeBody(answer.body),
      answer.retryAfterMs,
      answer.body,
    );
  }

  async authorize(
    input: Parameters<PaymentGateway['authorize']>[0],
    key: string,
    signal?: AbortSignal,
  ): Promise<AuthorizeResult> {
    const answer = await this.post(
      '/v1/authorizations',
      {
        amount: input.amount,
        currency: input.currency,
        payment_method: input.paymentMethod,
        reference: input.reference,
        ...(input.metadata && { metadata: input.metadata }),
      },
      key,
      signal,
    );
    if (answer.status === 201) {
      const authorization = authorizationSchema.parse(answer.body);
      return { outcome: authorization.status === 'pending' ? 'pending' : 'authorized', authorization };
    }
    if (answer.status === 402) {
      const { error } = declineSchema.parse(answer.body);
      return {
        outcome: 'declined',
        authorization: error.authorization,
        code: error.code,
        message: error.message,
      };
    }
    return this.fail(answer);
  }

  private async read(path: string, signal?: AbortSignal) {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const response = await fetch(new URL(path, this.options.baseUrl), {
      headers: { authorization: `Bearer ${this.options.apiKey}` },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const answer = {
      status: response.status,
      body: await readBody(response),
      retryAfterMs: retryAfterMs(response.headers),
    };
    return answer.status === 200 ? answer.body : this.fail(answer);
  }

  async get(id: string, signal?: AbortSignal) {
    return authorizationSchema.parse(await this.read(`/v1/authorizations/${encodeURIComponent(id)}`, signal));
  }

  async *list(range: { from: Date; to: Date }, signal?: AbortSignal) {
    const page = z.object({ data: z.array(authorizationSchema), has_more: z.boolean() });
    let after: string | undefined;
    for (;;) {
      const query = new URLSearchParams({
        created_gte: range.from.toISOString(),
        created_lt: range.to.toISOString(),
        limit: '100',
        ...(after && { starting_after: after }),
      });
      const { data, has_more } = page.parse(await this.read(`/v1/authorizations?${query}`, signal));
      yield* data;
      if (!has_more || data.length === 0) return;
      after = data.at(-1)?.id;
    }
  }

  async capture(id: string, amount: number | undefined, key: string, signal?: AbortSignal) {
    const answer = await this.post(
      `/v1/authorizations/${encodeURIComponent(id)}/capture`,
      amount ? { amount } : {},
      key,
      signal,
    );
    return answer.status === 200 ? authorizationSchema.parse(answer.body) : this.fail(answer);
  }

  async void(id: string, key: string, signal?: AbortSignal) {
    const answer = await this.post(`/v1/authorizations/${encodeURIComponent(id)}/void`, {}, key, signal);
    return answer.status === 200 ? authorizationSchema.parse(answer.body) : this.fail(answer);
  }

  async refund(id: string, amount: number, key: string, signal?: AbortSignal) {
    const answer = await this.post(
      `/v1/authorizations/${encodeURIComponent(id)}/refunds`,
      { amount },
      key,
      signal,
    );
    return answer.status === 201 ? refundSchema.parse(answer.body) : this.fail(answer);
  }
}

/** The gateway's authorization as Troupe's workflows read it (events and reads alike). */
export const authorizationView = (auth: GatewayAuthorization): AuthorizationView => ({
  id: auth.id,
  status: auth.status,
  amount: auth.amount,
  captured: auth.captured,
  refunded: auth.refunded,
  version: auth.version ?? 0,
  ...(auth.decline_code && { declineCode: auth.decline_code }),
});
