// The sandbox payment gateway: a small PSP-like HTTP service with a MySQL ledger. Every mutating call
// needs an Idempotency-Key (same key and body → the stored answer, never a second charge), and faults
// can be injected (5xx or a held answer, before or after the ledger commits) to exercise retries.
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import { fromJson } from '../db';
import { requestHash } from '../db/request-hash';
import {
  authorize,
  capture,
  decide,
  error,
  type Outcome,
  present,
  refund,
  voidAuthorization,
} from './ledger';
import type { GatewayDatabase, GatewayDb } from './schema';
import type { WebhookDelivery } from './webhooks';

const OPERATIONS = ['authorize', 'capture', 'void', 'refund'] as const;
type Operation = (typeof OPERATIONS)[number];

const faultSchema = z.strictObject({
  operation: z.enum([...OPERATIONS, 'any']).default('any'),
  /** before: answer without touching the ledger; after: commit, then answer badly (a lost reply). */
  phase: z.enum(['before', 'after']).default('before'),
  status: z.int().min(500).max(599).default(503),
  delayMs: z.int().min(0).max(120_000).default(0),
  times: z.int().min(1).max(1000).default(1),
});
type Fault = z.infer<typeof faultSchema>;

const amount = z.int().positive().max(100_000_000);
const bodies = {
  authorize: z.strictObject({
    amount,
    currency: z.string().regex(/^[A-Za-z]{3}$/),
    payment_method: z.string().min(1).max(64),
    reference: z.string().max(200).optional(),
    metadata: z
      .record(z.string().regex(/^[A-Za-z0-9_]{1,40}$/), z.string().max(500))
      .refine((m) => Object.keys(m).length <= 20, 'at most 20 keys')
      .optional(),
  }),
  capture: z.strictObject({ amount: amount.optional() }),
  void: z.strictObject({}),
  refund: z.strictObject({ amount: amount.optional() }),
};

export function createGatewayApp(options: {
  db: GatewayDb;
  apiKey: string;
  logger: Logger;
  webhooks: WebhookDelivery;
  /** How long an asynchronous payment waits for the customer (SANDBOX_GATEWAY_PENDING_SECONDS). */
  pendingSeconds: number;
}): express.Express {
  const { db, logger, webhooks } = options;
  const emit = webhooks.emit;
  const faults: Fault[] = [];
  const expectedKey = Buffer.from(`Bearer ${options.apiKey}`);

  const send = (res: Response, outcome: Outcome, headers: Record<string, string> = {}) => {
    res.status(outcome.status).set(headers).json(outcome.body);
  };
  const takeFault = (operation: Operation, phase: Fault['phase']) => {
    const fault = faults.find(
      (f) => f.phase === phase && (f.operation === operation || f.operation === 'any'),
    );
    if (fault && --fault.times === 0) faults.splice(faults.indexOf(fault), 1);
    return fault;
  };
  const answerFault = async (res: Response, fault: Fault) => {
    if (fault.delayMs) {
      // Hold the answer, but stop waiting if the caller hangs up.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fault.delayMs);
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (!res.destroyed)
      send(res, error(fault.status, 'api_error', 'sandbox_fault', 'Injected sandbox fault'));
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length === expectedKey.length && timingSafeEqual(given, expectedKey)) return next();
    send(res, error(401, 'authentication_error', 'invalid_api_key', 'Invalid API key provided'));
  });

  app.post('/_sandbox/faults', (req, res) => {
    const parsed = faultSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      return send(
        res,
        error(400, 'invalid_request_error', 'parameter_invalid', z.prettifyError(parsed.error)),
      );
    faults.push(parsed.data);
    res.status(201).json(parsed.data);
  });
  app.delete('/_sandbox/faults', (_req, res) => {
    faults.length = 0;
    res.status(204).end();
  });

  // The customer's payment app: approve or decline an asynchronous (pending) payment.
  for (const decision of ['approve', 'decline'] as const) {
    app.post(`/_sandbox/authorizations/:id/${decision}`, async (req, res) => {
      send(res, await decide(db, String(req.params.id), decision, emit));
    });
  }

  // Webhook delivery: `normal`, `chaos` (every event twice, out of order) or `paused` (none sent).
  app.post('/_sandbox/webhooks', (req, res) => {
    const parsed = z.strictObject({ mode: z.enum(['normal', 'chaos', 'paused']) }).safeParse(req.body ?? {});
    if (!parsed.success)
      return send(
        res,
        error(400, 'invalid_request_error', 'parameter_invalid', z.prettifyError(parsed.error)),
      );
    webhooks.setMode(parsed.data.mode);
    res.json({ mode: webhooks.mode });
  });
  // Every event with its deliveries: what a reconciliation (or a test) checks against the receiver.
  app.get('/_sandbox/webhooks/events', async (_req, res) => {
    const rows = await db
      .selectFrom('gateway_webhook_events')
      .leftJoin(
        'gateway_webhook_deliveries',
        'gateway_webhook_deliveries.event_id',
        'gateway_webhook_events.id',
      )
      .select([
        'gateway_webhook_events.id',
        'gateway_webhook_events.type',
        'gateway_webhook_events.authorization_id',
        'gateway_webhook_events.created_at',
        'gateway_webhook_deliveries.url',
        'gateway_webhook_deliveries.attempts',
        'gateway_webhook_deliveries.delivered_at',
        'gateway_webhook_deliveries.failed_at',
        'gateway_webhook_deliveries.last_status',
      ])
      .orderBy('gateway_webhook_events.created_at')
      .execute();
    res.json({ data: rows });
  });

  /** The idempotent core of every mutating route: replay a stored answer, or act and store one, atomically. */
  const mutation =
    <B extends z.ZodType>(
      operation: Operation,
      body: B,
      act: (
        trx: Transaction<GatewayDatabase>,
        req: Request,
        input: z.output<B>,
        key: string,
      ) => Promise<Outcome>,
    ) =>
    async (req: Request, res: Response) => {
      const key = req.header('Idempotency-Key');
      if (!key || key.length > 255) {
        return send(
          res,
          error(
            400,
            'invalid_request_error',
            'idempotency_key_missing',
            'An Idempotency-Key header (1-255 chars) is required',
          ),
        );
      }
      const parsed = body.safeParse(req.body ?? {});
      if (!parsed.success)
        return send(
          res,
          error(400, 'invalid_request_error', 'parameter_invalid', z.prettifyError(parsed.error)),
        );

      const before = takeFault(operation, 'before');
      if (before) return answerFault(res, before);

      const hash = requestHash({ path: req.path, body: parsed.data });
      const { outcome, replayed } = await db.transaction().execute(async (trx) => {
        // The insert takes the key; a concurrent request with the same key waits here until we commit.
        const claimed = await trx
          .insertInto('gateway_idempotency')
          .ignore()
          .values({ idem_key: key, request_hash: hash, status_code: 0, response: null })
          .executeTakeFirst();
        if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) {
          const stored = await trx
            .selectFrom('gateway_idempotency')
            .selectAll()
            .where('idem_key', '=', key)
            .executeTakeFirstOrThrow();
          if (stored.request_hash !== hash) {
            return {
              outcome: error(
                422,
                'idempotency_error',
                'idempotency_key_reused',
                'Keys for idempotent requests can only be used with the same parameters they were first used with',
              ),
              replayed: false,
            };
          }
          return { outcome: { status: stored.status_code, body: fromJson(stored.response) }, replayed: true };
        }
        const result = await act(trx, req, parsed.data, key);
        await trx
          .updateTable('gateway_idempotency')
          .set({ status_code: result.status, response: JSON.stringify(result.body) })
          .where('idem_key', '=', key)
          .execute();
        return { outcome: result, replayed: false };
      });

      const after = takeFault(operation, 'after');
      if (after) {
        logger.info({ operation, key }, 'Sandbox fault after commit: the ledger changed, the answer is lost');
        return answerFault(res, after);
      }
      send(res, outcome, replayed ? { 'Idempotent-Replayed': 'true' } : {});
    };

  app.post(
    '/v1/authorizations',
    mutation('authorize', bodies.authorize, (trx, _req, input, key) =>
      authorize(trx, input, key, emit, options.pendingSeconds),
    ),
  );
  app.post(
    '/v1/authorizations/:id/capture',
    mutation('capture', bodies.capture, (trx, req, input, key) =>
      capture(trx, String(req.params.id), input.amount, key, emit),
    ),
  );
  app.post(
    '/v1/authorizations/:id/void',
    mutation('void', bodies.void, (trx, req, _input, key) =>
      voidAuthorization(trx, String(req.params.id), key, emit),
    ),
  );
  app.post(
    '/v1/authorizations/:id/refunds',
    mutation('refund', bodies.refund, (trx, req, input, key) =>
      refund(trx, String(req.params.id), input.amount, key, emit),
    ),
  );

  // Authorizations made in a time range, oldest first: what a merchant's reconciliation reads.
  const listQuery = z.strictObject({
    created_gte: z.iso.datetime().optional(),
    created_lt: z.iso.datetime().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(100),
    starting_after: z.string().max(40).optional(),
  });
  app.get('/v1/authorizations', async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success)
      return send(
        res,
        error(400, 'invalid_request_error', 'parameter_invalid', z.prettifyError(parsed.error)),
      );
    const q = parsed.data;
    let query = db.selectFrom('gateway_authorizations').selectAll().orderBy('created_at').orderBy('id');
    if (q.created_gte) query = query.where('created_at', '>=', new Date(q.created_gte));
    if (q.created_lt) query = query.where('created_at', '<', new Date(q.created_lt));
    if (q.starting_after) {
      const after = await db
        .selectFrom('gateway_authorizations')
        .select(['created_at', 'id'])
        .where('id', '=', q.starting_after)
        .executeTakeFirst();
      if (after)
        query = query.where((eb) =>
          eb.or([
            eb('created_at', '>', after.created_at),
            eb.and([eb('created_at', '=', after.created_at), eb('id', '>', after.id)]),
          ]),
        );
    }
    const rows = await query.limit(q.limit + 1).execute();
    res.json({ object: 'list', data: rows.slice(0, q.limit).map(present), has_more: rows.length > q.limit });
  });

  app.get('/v1/authorizations/:id', async (req, res) => {
    const auth = await db
      .selectFrom('gateway_authorizations')
      .selectAll()
      .where('id', '=', req.params.id)
      .executeTakeFirst();
    if (!auth)
      return send(
        res,
        error(404, 'invalid_request_error', 'resource_missing', `No such authorization: '${req.params.id}'`),
      );
    const entries = await db
      .selectFrom('gateway_ledger')
      .selectAll()
      .where('authorization_id', '=', auth.id)
      .orderBy('id')
      .execute();
    res.json({
      ...present(auth),
      ledger: entries.map((e) => ({
        kind: e.kind,
        amount: e.amount,
        idempotencyKey: e.idempotency_key,
        createdAt: e.created_at,
      })),
    });
  });

  app.use((_req: Request, res: Response) =>
    send(res, error(404, 'invalid_request_error', 'not_found', 'Unrecognized request URL')),
  );
  app.use((err: { type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.parse.failed')
      return send(res, error(400, 'invalid_request_error', 'parse_error', 'Invalid JSON'));
    logger.error({ err }, 'Sandbox gateway error');
    send(res, error(500, 'api_error', 'internal_error', 'Internal error'));
  });
  return app;
}
