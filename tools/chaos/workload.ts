// The seeded workload: leads, bookings (confirmed, cancelled, left to expire, declined then retried)
// and standalone payments (captured then partly refunded, manual capture), sent through the API the
// way a real client does: retrying 5xx, 429 and dropped connections with the same Idempotency-Key.
import { createHash } from 'node:crypto';
import type { Random } from './random';

export const SCENARIOS = [
  'lead',
  'booking-confirm',
  'booking-cancel',
  'booking-expire',
  'booking-decline-retry',
  'booking-upi',
  'payment-refund',
  'payment-manual',
  'lead-import',
] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type Kind = 'lead' | 'booking' | 'payment';

/** One workflow the workload started, and what the client saw of it. */
export interface Started {
  n: number;
  scenario: Scenario;
  kind: Kind;
  /** The resource id (for a lead: known once the API answered; else looked up by `email`). */
  id?: string;
  email?: string;
  postAt: number;
  finalAt?: number;
  finalStatus?: string;
  /** The API answered the create request (the workflow must exist). */
  acknowledged: boolean;
  /** Why the API refused to start it (nothing was started, nothing must exist). */
  refused?: string;
  /** For a payment: what the client asked to refund, in total (the third refund must be refused). */
  expectedRefunded?: number;
  /** Requests retried after a 5xx, a 429 or a dropped connection. */
  retries: number;
  /** Posted with the burst (all at one moment), not spread over the run. */
  burst?: boolean;
  /** Why the client gave up, if it did. */
  clientError?: string;
}

export interface WorkloadOptions {
  apiUrl: string;
  seed: number;
  workflows: number;
  /** Workflows start spread over this many ms. */
  spreadMs: number;
  /** Clients stop retrying and polling at this time (ms since epoch). */
  deadline: () => number;
  shows: { id: number; seats: string[] }[];
  /** The sandbox gateway, for the customer's app (approving an asynchronous payment). */
  gateway: { url: string; key: string };
  /** Besides the spread: this many leads and confirmed bookings posted at one moment (`at` ms in). */
  burst?: { at: number; leads: number; bookings: number };
  /** A CSV file of `rows` leads posted to POST /lead-imports `at` ms in: each row is checked as a lead. */
  imports?: { at: number; rows: number };
}

const SETTLED: Record<Kind, string[]> = {
  lead: ['COMPLETED', 'FAILED'],
  booking: ['CONFIRMED', 'CANCELLED', 'EXPIRED', 'REJECTED', 'FAILED'],
  payment: ['CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'DECLINED', 'FAILED', 'VOIDED'],
};
export const isSettled = (kind: Kind, status: string | undefined) =>
  status !== undefined && SETTLED[kind].includes(status);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RETRIED = new Set([429, 500, 503, 504]);

class GaveUp extends Error {}

/** An API client that retries what a real client retries, until the run's deadline. */
class Client {
  constructor(
    private readonly options: WorkloadOptions,
    private readonly record: Started,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    key?: string,
    /** Sends `body` (a string) as is, with this content type, instead of as JSON. */
    contentType?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    let delay = 500;
    for (;;) {
      let problem: string;
      try {
        const response = await fetch(`${this.options.apiUrl}${path}`, {
          method,
          headers: {
            'content-type': contentType ?? 'application/json',
            ...(key && { 'idempotency-key': key }),
          },
          body: body === undefined ? undefined : contentType ? (body as string) : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await response.text();
        if (!RETRIED.has(response.status)) {
          return { status: response.status, body: text ? JSON.parse(text) : {} };
        }
        problem = `${response.status} ${text.slice(0, 200)}`;
        const after = Number(response.headers.get('retry-after'));
        if (after > 0) delay = Math.max(delay, after * 1000);
      } catch (err) {
        problem = (err as Error).message;
      }
      if (Date.now() + delay > this.options.deadline()) throw new GaveUp(`${method} ${path}: ${problem}`);
      this.record.retries++;
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  /** Reads the resource until it reaches a settled state (or the deadline). */
  async settle(kind: Kind, id: string): Promise<string | undefined> {
    let status: string | undefined;
    for (;;) {
      const answer = await this.call('GET', `/api/v1/${kind}s/${id}`);
      status = answer.body.status as string | undefined;
      if (isSettled(kind, status)) return status;
      if (Date.now() > this.options.deadline()) throw new GaveUp(`${kind} ${id} still ${status}`);
      await sleep(2_000);
    }
  }
}

const idFor = (prefix: string, key: string) =>
  `${prefix}_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;

/** Draws the workload from the seed: which scenario each workflow plays, when, on which seats. */
export function planWorkload(random: Random, options: WorkloadOptions) {
  const weights: [Scenario, number][] = [
    ['lead', 30],
    ['booking-confirm', 20],
    ['booking-cancel', 10],
    ['booking-expire', 10],
    ['booking-decline-retry', 10],
    ['booking-upi', 12],
    ['payment-refund', 12],
    ['payment-manual', 8],
  ];
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  const scenario = () => {
    let x = random.next() * total;
    for (const [name, w] of weights) {
      x -= w;
      if (x < 0) return name;
    }
    return 'lead' as Scenario;
  };
  const spread = Array.from({ length: options.workflows }, (_, n) => {
    const show = random.pick(options.shows);
    // Seats from a small pool per show, so some bookings compete for the same seat.
    const first = random.int(0, Math.min(29, show.seats.length - 2));
    const seats = random.next() < 0.7 ? [show.seats[first]] : [show.seats[first], show.seats[first + 1]];
    return {
      n,
      scenario: scenario(),
      at: Math.round(random.next() * options.spreadMs),
      showId: show.id,
      seats: seats as string[],
      amount: random.int(5, 200) * 100,
      key: `chaos-${options.seed}-${n}-${random.hex(8)}`,
      burst: false,
    };
  });
  // The burst: leads, and bookings on seats drawn from the whole house, all posted at the same moment.
  const burst = options.burst;
  const burstPlans = burst
    ? Array.from({ length: burst.leads + burst.bookings }, (_, i) => {
        const show = random.pick(options.shows);
        return {
          n: options.workflows + i,
          scenario: (i < burst.leads ? 'lead' : 'booking-confirm') as Scenario,
          at: burst.at,
          showId: show.id,
          seats: [show.seats[random.int(0, show.seats.length - 1)] as string],
          amount: random.int(5, 200) * 100,
          key: `chaos-${options.seed}-burst-${i}-${random.hex(8)}`,
          burst: true,
        };
      })
    : [];
  return [...spread, ...burstPlans].sort((a, b) => a.at - b.at);
}
export type PlannedWorkflow = ReturnType<typeof planWorkload>[number];

/** Plays one workflow's scenario through the API; never throws (the outcome is in `record`). */
export async function play(options: WorkloadOptions, plan: PlannedWorkflow, record: Started): Promise<void> {
  const client = new Client(options, record);
  const customer = { name: `Chaos ${plan.n}`, email: `chaos-${options.seed}-${plan.n}@chaos.test` };
  try {
    if (plan.scenario === 'lead') {
      record.email = customer.email;
      const created = await client.call(
        'POST',
        '/api/v1/leads',
        { name: customer.name, email: customer.email, company: `Company ${plan.n}`, title: 'CTO' },
        plan.key,
      );
      if (created.status >= 300) throw new GaveUp(`POST /leads: ${created.status}`);
      record.acknowledged = true;
      record.id = created.body.id as string;
      record.finalStatus = await client.settle('lead', record.id);
    } else if (plan.scenario.startsWith('booking')) {
      record.id = idFor('bk', plan.key);
      const reserved = await client.call(
        'POST',
        '/api/v1/bookings',
        { showId: plan.showId, seatIds: plan.seats, customer },
        plan.key,
      );
      record.acknowledged = reserved.status === 201;
      if (reserved.status === 409) {
        // Seats taken: refused before any workflow starts (or a workflow that ended REJECTED).
        const existing = await client.call('GET', `/api/v1/bookings/${record.id}`);
        if (existing.status === 404) {
          record.refused = 'booking refused by the API: seats taken (no workflow)';
          record.finalStatus = 'REFUSED';
          record.finalAt = Date.now();
          return;
        }
        record.acknowledged = true;
      }
      if (reserved.status === 201) {
        if (plan.scenario === 'booking-decline-retry') {
          const declined = await client.call('POST', `/api/v1/bookings/${record.id}/confirm`, {
            paymentMethod: 'pm_card_chargeDeclined',
          });
          if (declined.status !== 402) throw new GaveUp(`declined confirm answered ${declined.status}`);
        }
        if (plan.scenario === 'booking-upi') {
          await payByApp(options, client, record, plan.amount % 500 !== 0);
        } else if (plan.scenario !== 'booking-expire') {
          await client.call('POST', `/api/v1/bookings/${record.id}/confirm`, {
            paymentMethod: 'pm_card_visa',
          });
        }
        if (plan.scenario === 'booking-cancel') {
          await client.call('POST', `/api/v1/bookings/${record.id}/cancel`, { reason: 'chaos' });
        }
      } else if (reserved.status !== 409) {
        throw new GaveUp(`POST /bookings: ${reserved.status} ${JSON.stringify(reserved.body).slice(0, 200)}`);
      }
      record.finalStatus = await client.settle('booking', record.id);
    } else {
      record.id = idFor('pay', plan.key);
      const manual = plan.scenario === 'payment-manual';
      const created = await client.call(
        'POST',
        '/api/v1/payments',
        {
          amount: plan.amount,
          currency: 'EUR',
          paymentMethod: 'pm_card_visa',
          reference: `order-${plan.n}`,
          capture: manual ? 'manual' : 'automatic',
        },
        plan.key,
      );
      record.acknowledged = true;
      if (created.status === 201) {
        if (manual) {
          await client.call('POST', `/api/v1/payments/${record.id}/capture`, { amount: plan.amount - 100 });
        }
        // Two partial refunds, each retried under its own key, then one that would go over the capture.
        await client.call('POST', `/api/v1/payments/${record.id}/refund`, { amount: 100 }, `${plan.key}-r1`);
        await client.call('POST', `/api/v1/payments/${record.id}/refund`, { amount: 200 }, `${plan.key}-r2`);
        await client.call(
          'POST',
          `/api/v1/payments/${record.id}/refund`,
          { amount: plan.amount },
          `${plan.key}-r3`,
        );
      }
      record.finalStatus = await client.settle('payment', record.id);
    }
    record.finalAt = Date.now();
  } catch (err) {
    record.clientError = (err as Error).message;
  }
}

/**
 * An asynchronous payment (UPI collect): the confirm answers 202 PENDING_PAYMENT; the customer then
 * approves in their app after a moment — or, sometimes, never (the hold expires, the payment is voided).
 */
async function payByApp(options: WorkloadOptions, client: Client, record: Started, approves: boolean) {
  const confirm = await client.call('POST', `/api/v1/bookings/${record.id}/confirm`, {
    paymentMethod: 'pm_upi_collect',
  });
  if (confirm.status !== 202) throw new GaveUp(`UPI confirm answered ${confirm.status}`);
  if (!approves) return;
  const paymentId = (confirm.body.payment as { id: string } | undefined)?.id;
  const payment = await client.call('GET', `/api/v1/payments/${paymentId}`);
  await sleep(500 + Math.random() * 2_500);
  const response = await fetch(
    `${options.gateway.url}/_sandbox/authorizations/${payment.body.authorizationId}/approve`,
    { method: 'POST', headers: { authorization: `Bearer ${options.gateway.key}` } },
  );
  if (response.status !== 200) throw new GaveUp(`the customer could not approve: ${response.status}`);
}

/**
 * A CSV import of `rows` leads, posted (and retried) with one Idempotency-Key: every row becomes a lead
 * record the reconciliation checks like any other (not lost, not stuck, reported once). Never throws.
 */
async function playImport(options: WorkloadOptions, rows: number, records: Started[]): Promise<void> {
  const first = records.length;
  const emails = Array.from({ length: rows }, (_, i) => `chaos-${options.seed}-import-${i}@chaos.test`);
  for (const [i, email] of emails.entries()) {
    records.push({
      n: 1_000_000 + i,
      scenario: 'lead-import',
      kind: 'lead',
      email,
      postAt: Date.now(),
      acknowledged: false,
      retries: 0,
    });
  }
  const mine = records.slice(first);
  const client = new Client(options, mine[0] as Started);
  try {
    const csv = [
      'name,email,company,title',
      ...emails.map((e, i) => `Imported ${i},${e},Import Co ${i},CTO`),
    ];
    const created = await client.call(
      'POST',
      '/api/v1/lead-imports',
      `${csv.join('\n')}\n`,
      `chaos-${options.seed}-import`,
      'text/csv',
    );
    if (created.status !== 202 && created.status !== 200)
      throw new GaveUp(`POST /lead-imports: ${created.status}`);
    for (const record of mine) record.acknowledged = true;
    const id = created.body.id as string;
    for (;;) {
      const answer = await client.call('GET', `/api/v1/lead-imports/${id}`);
      if (answer.body.status === 'COMPLETED' || answer.body.status === 'CANCELLED') break;
      if (Date.now() > options.deadline()) throw new GaveUp(`import ${id} still ${answer.body.status}`);
      await sleep(2_000);
    }
    const leads = await client.call('GET', `/api/v1/leads?importId=${id}&limit=100`);
    const items = (leads.body.items as { id: string; email: string }[]) ?? [];
    for (const record of mine) {
      const found = items.find((l) => l.email === record.email);
      if (found) record.id = found.id;
      if (record.id) record.finalStatus = await client.settle('lead', record.id);
      record.finalAt = Date.now();
    }
  } catch (err) {
    for (const record of mine) record.clientError ??= (err as Error).message;
  }
}

/** Starts every planned workflow at its time; resolves when all have finished or given up. */
export async function runWorkload(options: WorkloadOptions, plans: PlannedWorkflow[]): Promise<Started[]> {
  const started = Date.now();
  const records: Started[] = [];
  const imports = options.imports;
  await Promise.all([
    imports && sleep(imports.at).then(() => playImport(options, imports.rows, records)),
    ...plans.map(async (plan) => {
      await sleep(Math.max(0, started + plan.at - Date.now()));
      const record: Started = {
        n: plan.n,
        scenario: plan.scenario,
        kind: plan.scenario === 'lead' ? 'lead' : plan.scenario.startsWith('booking') ? 'booking' : 'payment',
        postAt: Date.now(),
        acknowledged: false,
        retries: 0,
        ...(plan.burst && { burst: true }),
      };
      records.push(record);
      await play(options, plan, record);
    }),
  ]);
  return records.sort((a, b) => a.n - b.n);
}
