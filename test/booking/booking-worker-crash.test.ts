import { SandboxGateway } from '../support/gateway';
import { eventually, http, startTroupe, type Troupe } from '../support/harness';
import { createShow } from '../support/inventory';
import { type Part, spawnWorker } from '../support/processes';

describe('a worker killed between the capture and the confirmation', () => {
  let gateway: SandboxGateway;
  let api: Troupe;
  const workers: Part[] = [];

  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
    api = await startTroupe({ worker: false, env: { PAYMENT_GATEWAY_URL: gateway.url } });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await api?.stop();
    await gateway?.stop();
  });

  it('captures once, and the booking is CONFIRMED once a new worker takes over', async () => {
    const env = { ...api.env, WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '' };
    workers.push(await spawnWorker(env));
    const showId = await createShow(api.db);
    const held = await http(`${api.url}/api/v1/bookings`, {
      body: { showId, seatIds: ['J1', 'J2'], customer: { name: 'Kim', email: 'kim@troupe.test' } },
    });
    expect(held.status).toBe(201);

    // The gateway commits the capture, then holds its answer: the worker dies waiting for it.
    await gateway.inject({ operation: 'capture', phase: 'after', delayMs: 60_000, status: 503 });
    const confirming = http(`${api.url}/api/v1/bookings/${held.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    await eventually(async () =>
      expect((await gateway.ledger(held.body.id)).map((e) => e.kind)).toContain('capture'),
    );
    workers[0]?.child.kill('SIGKILL');
    await workers[0]?.exited;
    expect((await http(`${api.url}/api/v1/bookings/${held.body.id}`)).body.status).toBe('RESERVED');

    workers.push(await spawnWorker(env));
    const confirmed = await confirming;
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      status: 'CONFIRMED',
      payment: { status: 'CAPTURED', amount: 2500 },
    });
    expect(await gateway.ledger(held.body.id)).toEqual([
      { kind: 'authorize', amount: 2500 },
      { kind: 'capture', amount: 2500 },
    ]);
  }, 90_000);
});
