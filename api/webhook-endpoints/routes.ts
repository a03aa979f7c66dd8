import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { redeliverNow, startWebhookDelivery } from '../../clients/webhook-deliveries';
import {
  findDelivery,
  insertDelivery,
  insertWebhookEvent,
  reopenDelivery,
  webhookDeliveryId,
} from '../../db/webhook-deliveries';
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
} from '../../db/webhook-endpoints';
import { newWebhookSecret, secretSealer } from '../../encryption/secrets';
import type { ApiDeps } from '../deps';
import { decodeCursor, encodeCursor } from '../http/cursor';
import { notFound, problemSchema } from '../http/problem';
import { route } from '../http/route';
import {
  createEndpointBody,
  deliveryId,
  deliveryPageSchema,
  endpointId,
  endpointPageSchema,
  endpointSchema,
  endpointWithSecretSchema,
  pageQuery,
  queuedDeliverySchema,
  updateEndpointBody,
} from './schemas';
import { deliveryPage, endpointView } from './store';
import { assertCallable } from './url-policy';

const BASE = '/api/v1/webhook-endpoints';
const tags = ['Webhooks'];
const idParam = z.object({ id: endpointId });
const location = z.object({ Location: z.string() });
const notFoundResponse = { description: 'No such endpoint', schema: problemSchema };

/** Subscriptions to Troupe's business events, signed to the Standard Webhooks specification. */
export function webhookEndpointRoutes({ db, config, temporal }: ApiDeps) {
  const sealer = secretSealer(config);
  const settings = config.webhooks;
  const existing = async (id: string) => {
    const endpoint = await findEndpoint(db, id);
    if (!endpoint) throw notFound(`Webhook endpoint ${id}`);
    return endpoint;
  };
  /** Queues a delivery of a stored event to one endpoint (a test ping, or a redelivery). */
  const deliver = async (eventId: string, endpoint: string, redelivery: boolean) => {
    const id = webhookDeliveryId(eventId, endpoint);
    await insertDelivery(db, { id, endpointId: endpoint, eventId });
    const input = { deliveryId: id, retryScheduleMs: settings.retryScheduleMs };
    await startWebhookDelivery(temporal, config.temporal.taskQueue, input, { redelivery });
    return { status: 202, body: { deliveryId: id, eventId, status: 'pending' as const } };
  };

  return [
    route({
      method: 'post',
      path: BASE,
      operationId: 'createWebhookEndpoint',
      summary: 'Subscribe a URL to business events; the answer holds the signing secret, shown only once',
      tags,
      request: { body: createEndpointBody },
      responses: {
        201: { description: 'Subscribed', schema: endpointWithSecretSchema, headers: location },
        422: { description: 'The URL may not be called (WEBHOOK_ALLOW_PRIVATE)', schema: problemSchema },
      },
      async handler({ body }) {
        assertCallable(body.url, settings.allowPrivate);
        const id = `we_${randomBytes(12).toString('hex')}`;
        const secret = newWebhookSecret();
        await insertEndpoint(db, {
          id,
          url: body.url,
          description: body.description ?? null,
          events: body.events,
          secret: sealer.seal(secret),
        });
        const view = endpointView(await existing(id));
        return { status: 201, body: { ...view, secret }, headers: { Location: `${BASE}/${id}` } };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      operationId: 'listWebhookEndpoints',
      summary: 'List webhook endpoints, oldest first',
      tags,
      request: { query: pageQuery },
      responses: { 200: { description: 'A page of endpoints', schema: endpointPageSchema } },
      async handler({ query }) {
        const after = query.cursor ? decodeCursor(query.cursor) : undefined;
        const rows = await listEndpoints(db, query.limit + 1, after && [new Date(after[0]), after[1]]);
        const page = rows.slice(0, query.limit);
        const last = page[page.length - 1];
        const nextCursor =
          rows.length > query.limit && last ? encodeCursor([last.created_at.toISOString(), last.id]) : null;
        return { status: 200, body: { items: page.map(endpointView), nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/{id}`,
      operationId: 'getWebhookEndpoint',
      summary: 'One webhook endpoint (never its secret)',
      tags,
      request: { params: idParam },
      responses: { 200: { description: 'The endpoint', schema: endpointSchema }, 404: notFoundResponse },
      handler: async ({ params }) => ({ status: 200, body: endpointView(await existing(params.id)) }),
    }),
    route({
      method: 'patch',
      path: `${BASE}/{id}`,
      operationId: 'updateWebhookEndpoint',
      summary:
        'Change the URL, the events or the description; `enabled: true` turns a disabled endpoint back on',
      tags,
      request: { params: idParam, body: updateEndpointBody },
      responses: {
        200: { description: 'The endpoint as changed', schema: endpointSchema },
        404: notFoundResponse,
        422: { description: 'The URL may not be called (WEBHOOK_ALLOW_PRIVATE)', schema: problemSchema },
      },
      async handler({ params, body }) {
        await existing(params.id);
        if (body.url) assertCallable(body.url, settings.allowPrivate);
        await updateEndpoint(db, params.id, body);
        return { status: 200, body: endpointView(await existing(params.id)) };
      },
    }),
    route({
      method: 'delete',
      path: `${BASE}/{id}`,
      operationId: 'deleteWebhookEndpoint',
      summary: 'Unsubscribe: no new deliveries; those waiting for a retry end at their next attempt',
      tags,
      request: { params: idParam },
      responses: { 204: { description: 'Deleted' }, 404: notFoundResponse },
      async handler({ params }) {
        if (!(await deleteEndpoint(db, params.id))) throw notFound(`Webhook endpoint ${params.id}`);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: `${BASE}/{id}/rotate-secret`,
      operationId: 'rotateWebhookSecret',
      summary: 'A new signing secret; the previous one keeps signing beside it for WEBHOOK_ROTATION_SECONDS',
      tags,
      request: { params: idParam },
      responses: {
        200: {
          description: 'The endpoint with its new secret, shown only once',
          schema: endpointWithSecretSchema,
        },
        404: notFoundResponse,
      },
      async handler({ params }) {
        await existing(params.id);
        const secret = newWebhookSecret();
        await rotateSecret(db, params.id, sealer.seal(secret), new Date(Date.now() + settings.rotationMs));
        return { status: 200, body: { ...endpointView(await existing(params.id)), secret } };
      },
    }),
    route({
      method: 'post',
      path: `${BASE}/{id}/test`,
      operationId: 'pingWebhookEndpoint',
      summary: 'Sends a `ping` event to this endpoint (delivered, logged and retried like any other)',
      tags,
      request: { params: idParam },
      responses: { 202: { description: 'Queued', schema: queuedDeliverySchema }, 404: notFoundResponse },
      async handler({ params }) {
        await existing(params.id);
        const id = `evt_${randomBytes(16).toString('hex')}`;
        const occurredAt = new Date();
        const data = { endpointId: params.id, message: 'Hello from Troupe: this endpoint is subscribed.' };
        await insertWebhookEvent(db, {
          id,
          type: 'ping',
          entityId: params.id,
          occurredAt,
          body: JSON.stringify({ id, type: 'ping', occurredAt: occurredAt.toISOString(), data }),
        });
        return deliver(id, params.id, false);
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/{id}/deliveries`,
      operationId: 'listWebhookDeliveries',
      summary: 'The delivery log: every delivery to this endpoint, newest first, with each attempt',
      tags,
      request: { params: idParam, query: pageQuery },
      responses: {
        200: { description: 'A page of deliveries', schema: deliveryPageSchema },
        404: notFoundResponse,
      },
      async handler({ params, query }) {
        await existing(params.id);
        return { status: 200, body: await deliveryPage(db, params.id, query.limit, query.cursor) };
      },
    }),
    route({
      method: 'post',
      path: `${BASE}/{id}/deliveries/{deliveryId}/redeliver`,
      operationId: 'redeliverWebhook',
      summary: 'Sends a delivery again now, with the same `webhook-id` (a pending one skips its wait)',
      tags,
      request: { params: z.object({ id: endpointId, deliveryId }) },
      responses: {
        202: { description: 'Queued', schema: queuedDeliverySchema },
        404: { description: 'No such endpoint or delivery', schema: problemSchema },
      },
      async handler({ params }) {
        await existing(params.id);
        const delivery = await findDelivery(db, params.id, params.deliveryId);
        if (!delivery) throw notFound(`Delivery ${params.deliveryId}`);
        await reopenDelivery(db, delivery.id);
        if (delivery.status === 'pending' && (await redeliverNow(temporal, delivery.id)))
          return {
            status: 202,
            body: { deliveryId: delivery.id, eventId: delivery.event_id, status: 'pending' },
          };
        return deliver(delivery.event_id, params.id, true);
      },
    }),
  ];
}
