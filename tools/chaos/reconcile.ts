// Reconciliation: every workflow a run started, checked against its final state in Temporal and MySQL,
// the mail the SMTP server received, and the payment gateway's ledger. Used by `npm run chaos` and by
// the cluster test; it reads only, and counts every way the promise "nothing lost, nothing doubled"
// could be broken.
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { messageIdFor } from '../../activities/mail/send-once';
import { fromJson } from '../../db';
import type { Database } from '../../db/schema';
import type { GatewayDatabase } from '../../gateway/schema';
import { bookingWorkflowId } from '../../workflows/booking/shared';
import { leadWorkflowId } from '../../workflows/lead/shared';
import { paymentWorkflowId } from '../../workflows/payment/shared';
import type { OutboundReconciliation } from './outbound';

export type Kind = 'lead' | 'booking' | 'payment';

/** A workflow the caller started: its id, or for a lead the email it was submitted with. */
export interface StartedWorkflow {
  kind: Kind;
  id?: string;
  email?: string;
  /** The API answered the create request (so the workflow must exist). */
  acknowledged: boolean;
  /** Why the API refused to start it: counted by reason; it must then exist nowhere. */
  refused?: string;
  /** For a payment: the total of the refunds the client asked for (each once, however often retried). */
  expectedRefunded?: number;
}

export interface ReconcileInput {
  db: Kysely<Database & GatewayDatabase>;
  temporal: Client;
  started: StartedWorkflow[];
  /** Message-IDs of every report the SMTP server received, one entry per message received. */
  receivedMessageIds: (string | undefined)[];
  /** MAIL_FROM of the run: a lead's report has a Message-ID made from its id and this address. */
  mailFrom: string;
}

/** The rows that must be 0 for a run to pass. */
export const MUST_BE_ZERO = [
  'lost',
  'stuck',
  'temporalMysqlDisagreeing',
  'unexplainedDuplicateEmails',
  'completedLeadsWithoutReport',
  'refundsNotAsRequested',
  'duplicateCaptures',
  'refundsAboveCapture',
  'seatsHeldByTwoBookings',
  'seatsHeldByFinishedBookings',
  'ledgerMysqlDisagreeing',
  'webhookEventsLost',
  'paymentsSettledTwice',
  'outboundEventsNotDelivered',
  'outboundEventIdsChanged',
  'outboundSignaturesInvalid',
] as const;

/** With the outbound webhook rows (tools/chaos/outbound.ts; 0 when the run has no subscriber). */
export interface Reconciliation extends Omit<OutboundReconciliation, 'problems'> {
  started: number;
  acknowledged: number;
  completed: number;
  failedByReason: Record<string, number>;
  lost: number;
  stuck: number;
  temporalMysqlDisagreeing: number;
  reportEmails: number;
  /** Copies beyond the first of a message (same Message-ID): the at-least-once window, if counted. */
  duplicateReportEmails: number;
  /**
   * Copies the delivery record does not account for: more copies of a message than attempts that
   * claimed it (mail_deliveries.send_attempts). Must be 0: every resend is a counted takeover.
   */
  unexplainedDuplicateEmails: number;
  completedLeadsWithoutReport: number;
  refundsNotAsRequested: number;
  duplicateCaptures: number;
  refundsAboveCapture: number;
  seatsHeldByTwoBookings: number;
  seatsHeldByFinishedBookings: number;
  ledgerMysqlDisagreeing: number;
  /** Gateway events the gateway got a 2xx for that Troupe has no record of. */
  webhookEventsLost: number;
  /** Gateway events still waiting for a 2xx (the receiver refused or was away); reported, not a failure by itself. */
  webhookEventsUndelivered: number;
  /** An authorization authorized or captured more than once, or one refund (idempotency key) applied twice. */
  paymentsSettledTwice: number;
  /** Each problem found, named, so a failing run says which workflow to look at. */
  problems: string[];
  /** What is within the promise but worth reading (a counted resend). */
  notes: string[];
}

const SUCCESS: Record<Kind, string[]> = {
  lead: ['COMPLETED'],
  booking: ['CONFIRMED', 'CANCELLED', 'EXPIRED'],
  payment: ['CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED'],
};
const SETTLED: Record<Kind, string[]> = {
  lead: ['COMPLETED', 'FAILED'],
  booking: ['CONFIRMED', 'CANCELLED', 'EXPIRED', 'REJECTED', 'FAILED'],
  payment: ['CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'DECLINED', 'FAILED', 'VOIDED'],
};
const STATUS_ATTRIBUTE: Record<Kind, string> = {
  lead: 'LeadStatus',
  booking: 'BookingStatus',
  payment: 'PaymentStatus',
};
const workflowId = (kind: Kind, id: string) =>
  kind === 'lead' ? leadWorkflowId(id) : kind === 'booking' ? bookingWorkflowId(id) : paymentWorkflowId(id);

interface Row {
  status: string;
  error_type: string | null;
}

async function mysqlRow(
  db: ReconcileInput['db'],
  w: StartedWorkflow,
): Promise<(Row & { id: string }) | undefined> {
  if (w.kind === 'lead') {
    let query = db.selectFrom('leads').select(['id', 'status', 'error_type']);
    query = w.id ? query.where('id', '=', w.id) : query.where('email', '=', w.email ?? '');
    return query.executeTakeFirst();
  }
  if (!w.id) return undefined;
  const table = w.kind === 'booking' ? 'bookings' : 'payments';
  return db
    .selectFrom(table)
    .select(['id', 'status', 'error_type'])
    .where('id', '=', w.id)
    .executeTakeFirst();
}

/**
 * Waits until every workflow with a MySQL row is in a settled state, or until `deadline` (ms since
 * epoch); returns how many are not. A client that gave up (an answer it did not expect) stops
 * polling its workflow: without this wait the reconciliation could run before that workflow had its
 * settle time, and count it stuck.
 */
export async function untilSettled(
  db: ReconcileInput['db'],
  started: StartedWorkflow[],
  deadline: number,
): Promise<number> {
  let open = started;
  for (;;) {
    const rows = await Promise.all(open.map(async (w) => ({ w, row: await mysqlRow(db, w) })));
    open = rows.filter(({ w, row }) => row && !SETTLED[w.kind].includes(row.status)).map(({ w }) => w);
    if (open.length === 0 || Date.now() > deadline) return open.length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function temporalStatus(temporal: Client, kind: Kind, id: string) {
  try {
    const description = await temporal.workflow.getHandle(workflowId(kind, id)).describe();
    const attribute =
      description.raw.workflowExecutionInfo?.searchAttributes?.indexedFields?.[STATUS_ATTRIBUTE[kind]];
    const status = attribute?.data ? JSON.parse(Buffer.from(attribute.data).toString('utf8')) : undefined;
    return {
      exists: true,
      closed: description.status.name !== 'RUNNING',
      status: status as string | undefined,
    };
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError')
      return { exists: false, closed: false, status: undefined };
    throw err;
  }
}

export async function reconcile(input: ReconcileInput): Promise<Reconciliation> {
  const { db, temporal } = input;
  const result: Reconciliation = {
    started: input.started.length,
    acknowledged: 0,
    completed: 0,
    failedByReason: {},
    lost: 0,
    stuck: 0,
    temporalMysqlDisagreeing: 0,
    reportEmails: 0,
    duplicateReportEmails: 0,
    unexplainedDuplicateEmails: 0,
    completedLeadsWithoutReport: 0,
    refundsNotAsRequested: 0,
    duplicateCaptures: 0,
    refundsAboveCapture: 0,
    seatsHeldByTwoBookings: 0,
    seatsHeldByFinishedBookings: 0,
    ledgerMysqlDisagreeing: 0,
    webhookEventsLost: 0,
    webhookEventsUndelivered: 0,
    paymentsSettledTwice: 0,
    outboundEventsNotDelivered: 0,
    outboundEventIdsChanged: 0,
    outboundSignaturesInvalid: 0,
    outboundRequests: 0,
    outboundDuplicates: 0,
    problems: [],
    notes: [],
  };
  const problem = (counter: keyof Reconciliation, text: string) => {
    (result[counter] as number)++;
    result.problems.push(`${counter}: ${text}`);
  };

  const received = new Set(input.receivedMessageIds);
  // 1. Every workflow: in MySQL, in Temporal, finished, and the two agreeing.
  for (const w of input.started) {
    const row = await mysqlRow(db, w);
    const name = `${w.kind} ${w.id ?? w.email}`;
    if (!row) {
      if (w.acknowledged) problem('lost', `${name}: acknowledged by the API, no MySQL row`);
      else if (w.refused) result.failedByReason[w.refused] = (result.failedByReason[w.refused] ?? 0) + 1;
      else
        result.failedByReason['never acknowledged (client gave up)'] =
          (result.failedByReason['never acknowledged (client gave up)'] ?? 0) + 1;
      continue;
    }
    result.acknowledged++;
    const inTemporal = await temporalStatus(temporal, w.kind, row.id);
    // A booking refused for taken seats is decided in MySQL before any workflow starts: REJECTED, no workflow.
    const refusedAtTheDoor = w.kind === 'booking' && row.status === 'REJECTED';
    if (!inTemporal.exists && !refusedAtTheDoor) {
      problem('lost', `${name}: in MySQL as ${row.status}, no workflow in Temporal`);
      continue;
    }
    if (!SETTLED[w.kind].includes(row.status)) {
      problem('stuck', `${name}: still ${row.status}`);
      continue;
    }
    if (inTemporal.status !== undefined && inTemporal.status !== row.status) {
      problem('temporalMysqlDisagreeing', `${name}: MySQL ${row.status}, Temporal ${inTemporal.status}`);
    }
    if (w.kind === 'lead' && row.status === 'COMPLETED') {
      const messageId = messageIdFor(`lead-report:${row.id}`, input.mailFrom);
      if (!received.has(messageId))
        problem('completedLeadsWithoutReport', `${name}: no ${messageId} received`);
    }
    if (w.kind === 'payment' && w.expectedRefunded !== undefined && SUCCESS.payment.includes(row.status)) {
      const payment = await db
        .selectFrom('payments')
        .select('refunded_minor')
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      if (payment.refunded_minor !== w.expectedRefunded) {
        problem(
          'refundsNotAsRequested',
          `${name}: refunded ${payment.refunded_minor}, asked for ${w.expectedRefunded}`,
        );
      }
    }
    if (SUCCESS[w.kind].includes(row.status)) result.completed++;
    else {
      const reason = `${w.kind} ${row.status}${row.error_type ? ` (${row.error_type})` : ''}`;
      result.failedByReason[reason] = (result.failedByReason[reason] ?? 0) + 1;
    }
  }

  // 2. Report emails: one message per Message-ID.
  const seen = new Map<string, number>();
  for (const id of input.receivedMessageIds) {
    result.reportEmails++;
    if (!id) continue;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const attempts = new Map(
    (await db.selectFrom('mail_deliveries').select(['message_id', 'send_attempts']).execute()).map((r) => [
      r.message_id,
      r.send_attempts,
    ]),
  );
  for (const [id, count] of seen) {
    if (count <= 1) continue;
    result.duplicateReportEmails += count - 1;
    const claimed = attempts.get(id) ?? 0;
    if (count > claimed) {
      problem('unexplainedDuplicateEmails', `${id} received ${count} times, claimed by ${claimed} attempts`);
      result.unexplainedDuplicateEmails += count - claimed - 1;
    } else {
      result.notes.push(`resent (same Message-ID, a counted takeover): ${id} received ${count} times`);
    }
  }

  // 3. The gateway's ledger: one capture per authorization, never more refunded than captured.
  const ledger = await db
    .selectFrom('gateway_ledger')
    .select(['authorization_id', 'kind', 'amount'])
    .execute();
  const byAuthorization = new Map<string, { captures: number; captured: number; refunded: number }>();
  for (const entry of ledger) {
    const sums = byAuthorization.get(entry.authorization_id) ?? { captures: 0, captured: 0, refunded: 0 };
    if (entry.kind === 'capture') {
      sums.captures++;
      sums.captured += entry.amount;
    }
    if (entry.kind === 'refund') sums.refunded += entry.amount;
    byAuthorization.set(entry.authorization_id, sums);
  }
  const entries = await db
    .selectFrom('gateway_ledger')
    .select(['authorization_id', 'kind', 'idempotency_key'])
    .execute();
  const applied = new Map<string, number>();
  for (const e of entries) {
    const key = e.kind === 'refund' ? `refund ${e.idempotency_key}` : `${e.kind} ${e.authorization_id}`;
    applied.set(key, (applied.get(key) ?? 0) + 1);
  }
  for (const [what, times] of applied) {
    if (times > 1 && !what.startsWith('capture'))
      problem('paymentsSettledTwice', `${what} applied ${times} times`);
  }
  for (const [id, sums] of byAuthorization) {
    if (sums.captures > 1) {
      problem('duplicateCaptures', `authorization ${id} captured ${sums.captures} times`);
      problem('paymentsSettledTwice', `authorization ${id} captured ${sums.captures} times`);
    }
    if (sums.refunded > sums.captured)
      problem('refundsAboveCapture', `authorization ${id}: refunded ${sums.refunded} of ${sums.captured}`);
  }

  // 4. The ledger against MySQL: the same amounts, and no captured money Troupe does not know of.
  const payments = await db
    .selectFrom('payments')
    .select(['id', 'authorization_id', 'captured_minor', 'refunded_minor'])
    .execute();
  const known = new Set<string>();
  for (const payment of payments) {
    if (!payment.authorization_id) continue;
    known.add(payment.authorization_id);
    const sums = byAuthorization.get(payment.authorization_id) ?? { captures: 0, captured: 0, refunded: 0 };
    if (sums.captured !== payment.captured_minor || sums.refunded !== payment.refunded_minor) {
      problem(
        'ledgerMysqlDisagreeing',
        `payment ${payment.id}: MySQL captured ${payment.captured_minor} refunded ${payment.refunded_minor}, ` +
          `ledger captured ${sums.captured} refunded ${sums.refunded}`,
      );
    }
  }
  for (const [id, sums] of byAuthorization) {
    if (!known.has(id) && sums.captured > sums.refunded) {
      problem(
        'ledgerMysqlDisagreeing',
        `authorization ${id}: ${sums.captured - sums.refunded} captured, no payment in MySQL`,
      );
    }
  }

  // 5. Webhooks: every event the gateway delivered (a 2xx) is in Troupe's record.
  const deliveries = await db
    .selectFrom('gateway_webhook_deliveries')
    .select(['event_id', 'delivered_at', 'failed_at'])
    .execute();
  const storedEvents = new Set(
    (await db.selectFrom('gateway_events').select('event_id').execute()).map((e) => e.event_id),
  );
  for (const d of deliveries) {
    if (d.delivered_at && !storedEvents.has(d.event_id))
      problem('webhookEventsLost', `event ${d.event_id} was acknowledged but is not stored`);
    if (!d.delivered_at) result.webhookEventsUndelivered++;
  }

  // 6. Seats: never one seat in two live bookings; no hold left by a finished booking.
  const bookings = await db.selectFrom('bookings').select(['id', 'show_id', 'seat_ids', 'status']).execute();
  const owner = new Map<string, string>();
  for (const booking of bookings) {
    if (!['CONFIRMED', 'RESERVED', 'PENDING_PAYMENT'].includes(booking.status)) continue;
    for (const seat of fromJson<string[]>(booking.seat_ids) ?? []) {
      const key = `${booking.show_id}/${seat}`;
      const other = owner.get(key);
      if (other) problem('seatsHeldByTwoBookings', `seat ${key}: ${other} and ${booking.id}`);
      else owner.set(key, booking.id);
    }
  }
  const leftover = await db
    .selectFrom('seat_holds')
    .innerJoin('bookings', 'bookings.id', 'seat_holds.booking_id')
    .select(['seat_holds.show_id', 'seat_holds.seat_label', 'bookings.id', 'bookings.status'])
    .where('bookings.status', 'in', ['EXPIRED', 'CANCELLED', 'REJECTED', 'FAILED'])
    .execute();
  for (const hold of leftover) {
    problem(
      'seatsHeldByFinishedBookings',
      `seat ${hold.show_id}/${hold.seat_label} held by ${hold.status} ${hold.id}`,
    );
  }
  return result;
}
