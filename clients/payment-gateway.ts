import { z } from 'zod';
import { describeBody, HttpError, readBody } from './http-error';
import { retryAfterMs } from './retry-after';

const authorizationSchema = z.object({
  id: z.string(),
  status: z.enum(['authorized', 'declined', 'captured', 'voided', 'partially_refunded', 'refunded']),
  amount: z.int(),
  currency: z.string(),
  captured: z.int(),
  refunded: z.int(),
  decline_code: z.string().optional(),
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
  | { outcome: 'declined'; authorization: GatewayAuthorization; code: string; message: string };

/**
 * The payment gateway as Troupe's activities see it: every mutating call carries an idempotency key
 * derived from the workflow, so a retried or replayed call is answered from the gateway's record.
 */
export interface PaymentGateway {
  authorize(
    input: { amount: number; currency: string; paymentMethod: string; reference?: string },
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<AuthorizeResult>;
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
      },
      key,
      signal,
    );
    if (answer.status === 201)
      return { outcome: 'authorized', authorization: authorizationSchema.parse(answer.body) };
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
