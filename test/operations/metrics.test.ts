import { SandboxGateway } from '../support/gateway';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { createShow } from '../support/inventory';
import { freePort } from '../support/ports';
import { type Part, spawnWorker } from '../support/processes';

/** One sample's value from a Prometheus text exposition, matched by name and labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) return Number(match[3]);
  }
  return undefined;
}

describe('metrics after a lead and a booking', () => {
  let gateway: SandboxGateway;
  let api: Troupe;
  let worker: Part;
  let workerMetrics: string;

  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
    api = await startTroupe({ worker: false, env: { PAYMENT_GATEWAY_URL: gateway.url } });
    const port = await freePort();
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
    worker = await spawnWorker({
      ...api.env,
      METRICS_PORT: String(port),
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '',
    });

    const lead = await http(`${api.url}/api/v1/leads`, { body: newLead() });
    await eventually(async () =>
      expect((await http(`${api.url}/api/v1/leads/${lead.body.id}`)).body.status).toBe('COMPLETED'),
    );
    const showId = await createShow(api.db);
    const customer = { name: 'Mo', email: 'mo@troupe.test' };
    const booking = await http(`${api.url}/api/v1/bookings`, { body: { showId, seatIds: ['A1'], customer } });
    await http(`${api.url}/api/v1/bookings/${booking.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    await http(`${api.url}/api/v1/bookings/${booking.body.id}/cancel`, { method: 'POST' });
  }, 60_000);
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await api?.stop();
    await gateway?.stop();
  });

  it('the API counts requests and times them by route template and status at /metrics', async () => {
    await http(`${api.url}/api/v1/leads/ld_000000000000000000000000`);
    const text = (await http(`${api.url}/metrics`)).body as string;
    expect(
      sample(text, 'http_requests_total', { method: 'POST', route: '/api/v1/leads', status: '202' }),
    ).toBe(1);
    expect(sample(text, 'http_requests_total', { route: '/api/v1/leads/:id', status: '404' })).toBe(1);
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        route: '/api/v1/bookings/:id/confirm',
        status: '200',
      }),
    ).toBe(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeDefined();
  });

  it("the worker's exporter shows the Temporal SDK's series and Troupe's business counters", async () => {
    const text = await eventually(async () => {
      const body = await (await fetch(workerMetrics)).text();
      expect(sample(body, 'troupe_payment_refunds_total', { outcome: 'succeeded' })).toBe(1);
      return body;
    });
    // SDK: task slots, schedule-to-start latency, activity outcomes.
    expect(
      sample(text, 'temporal_worker_task_slots_available', { worker_type: 'ActivityWorker' }),
    ).toBeGreaterThan(0);
    expect(sample(text, 'temporal_workflow_task_schedule_to_start_latency_count')).toBeGreaterThan(0);
    expect(sample(text, 'temporal_activity_execution_latency_count', { activity_type: 'researchLead' })).toBe(
      3,
    );
    // Troupe: leads by final status, bookings by outcome, captures, refunds.
    expect(sample(text, 'troupe_leads_finished_total', { status: 'COMPLETED' })).toBe(1);
    expect(sample(text, 'troupe_booking_outcomes_total', { status: 'CONFIRMED' })).toBe(1);
    expect(sample(text, 'troupe_booking_outcomes_total', { status: 'CANCELLED' })).toBe(1);
    expect(sample(text, 'troupe_payment_captures_total', { currency: 'EUR' })).toBe(1);
  });
});
