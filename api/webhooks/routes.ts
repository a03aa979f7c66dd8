import { z } from 'zod';
import { forwardGatewayEvent } from '../../clients/gateway-events';
import { listGatewayEvents, markGatewayEvent, recordGatewayEvent } from '../../db/gateway-events';
import type { GatewayEvent } from '../../workflows/payment/shared';
import type { ApiDeps } from '../deps';
import { Problem, problemSchema } from '../http/problem';
import { route } from '../http/route';
import { gatewayEventBody, paymentIdOf, toWorkflowEvent, webhookAnswer } from './schemas';
import { SIGNATURE_HEADER, verifySignature } from './signature';

export const GATEWAY_WEBHOOK_PATH = '/api/v1/webhooks/gateway';

export function webhookRoutes({ db, temporal, config, logger }: ApiDeps) {
  const { secrets, toleranceSeconds } = config.payments.webhook;

  /** Hands a stored event to its payment; one that cannot be handed over now is left for the worker's relay. */
  const forward = async (eventId: string, paymentId: string, event: GatewayEvent) => {
    try {
      const outcome = await forwardGatewayEvent(temporal, paymentId, event);
      await markGatewayEvent(db, eventId, outcome === 'unmatched' ? 'unmatched' : 'forwarded');
      if (outcome === 'unmatched')
        logger.warn(
          { eventId, paymentId, type: event.type },
          'Gateway event for a payment Troupe does not know',
        );
    } catch (err) {
      logger.warn({ err, eventId }, 'Gateway event stored, not yet handed to its payment; the relay will');
    }
  };

  return [
    route({
      method: 'post',
      path: GATEWAY_WEBHOOK_PATH,
      operationId: 'receiveGatewayWebhook',
      summary: 'Receive a signed payment event from the payment gateway',
      description:
        'Authenticated by its signature, not an API key: HMAC-SHA256 of `<t>.<raw body>` with GATEWAY_WEBHOOK_SECRET, ' +
        'in `Sandbox-Signature: t=<unix seconds>,v1=<hex>`, within GATEWAY_WEBHOOK_TOLERANCE_SECONDS. The event is stored ' +
        'by its id before the answer (a repeated delivery has no second effect) and handed to its payment workflow ' +
        'without waiting for it.',
      tags: ['Webhooks'],
      public: true,
      request: {
        body: gatewayEventBody,
        headers: z.object({ [SIGNATURE_HEADER]: z.string().min(1).max(2_000) }),
      },
      responses: {
        200: { description: 'Stored (or known already)', schema: webhookAnswer },
        401: {
          description: 'Bad or missing signature, or a timestamp outside the tolerance',
          schema: problemSchema,
        },
      },
      async handler({ req, body, headers }) {
        if (!secrets?.length) {
          throw new Problem(503, 'Gateway webhooks are not configured: set GATEWAY_WEBHOOK_SECRET');
        }
        verifySignature(req.rawBody, headers[SIGNATURE_HEADER], secrets, toleranceSeconds);
        const paymentId = paymentIdOf(body);
        const event = toWorkflowEvent(body);
        const { first } = await recordGatewayEvent(db, {
          eventId: body.id,
          type: body.type,
          authorizationId: body.data.object.id,
          paymentId: paymentId ?? null,
          status: paymentId ? 'received' : 'unmatched',
          payload: event,
        });
        if (first && paymentId) void forward(body.id, paymentId, event);
        if (first && !paymentId)
          logger.warn(
            { eventId: body.id, type: body.type },
            'Gateway event names no Troupe payment; kept as unmatched',
          );
        return { status: 200, body: { received: true, duplicate: !first } };
      },
    }),
    route({
      method: 'get',
      path: `${GATEWAY_WEBHOOK_PATH}/events`,
      operationId: 'listGatewayEvents',
      summary: 'The gateway events Troupe received, newest first',
      description:
        '`status=unmatched` lists events for payments Troupe does not know (kept for reconciliation).',
      tags: ['Webhooks'],
      request: {
        query: z.strictObject({
          status: z.enum(['received', 'forwarded', 'unmatched']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
      responses: {
        200: {
          description: 'Stored events',
          schema: z.object({
            items: z.array(
              z.object({
                eventId: z.string(),
                type: z.string(),
                authorizationId: z.string(),
                paymentId: z.string().nullable(),
                status: z.enum(['received', 'forwarded', 'unmatched']),
                receivedAt: z.iso.datetime(),
                forwardedAt: z.iso.datetime().nullable(),
              }),
            ),
          }),
        },
      },
      async handler({ query }) {
        const rows = await listGatewayEvents(db, query);
        return {
          status: 200,
          body: {
            items: rows.map((r) => ({
              eventId: r.event_id,
              type: r.type,
              authorizationId: r.authorization_id,
              paymentId: r.payment_id,
              status: r.status,
              receivedAt: r.received_at.toISOString(),
              forwardedAt: r.forwarded_at?.toISOString() ?? null,
            })),
          },
        };
      },
    }),
  ];
}
