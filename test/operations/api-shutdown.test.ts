import { SandboxGateway } from '../support/gateway';
import { http, startTroupe, type Troupe, testEnv } from '../support/harness';
import { createShow } from '../support/inventory';
import { freePort } from '../support/ports';
import { type Part, spawnPart } from '../support/processes';

describe('the API asked to stop (SIGTERM)', () => {
  let gateway: SandboxGateway;
  let api: Part;
  let workers: Troupe | undefined;

  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
  });
  afterAll(async () => {
    api?.child.kill('SIGKILL');
    await workers?.stop();
    await gateway?.stop();
  });

  it('stops taking connections but finishes the request in flight, then exits cleanly', async () => {
    const port = await freePort();
    const env = testEnv({
      PORT: String(port),
      PAYMENT_GATEWAY_URL: gateway.url,
      SHUTDOWN_GRACE_SECONDS: '20',
    });
    api = await spawnPart('api/main.ts', env, /API listening/);
    const url = `http://127.0.0.1:${port}`;

    // No worker yet: the booking request waits for its hold to be decided.
    workers = await startTroupe({ worker: false, env });
    const showId = await createShow(workers.db);
    const inFlight = http(`${url}/api/v1/bookings`, {
      body: { showId, seatIds: ['C3'], customer: { name: 'Late', email: 'late@troupe.test' } },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    api.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    // A worker arrives; the request in flight completes and only then does the API exit.
    await workers.stop();
    workers = await startTroupe({ env });
    const answered = await inFlight;
    expect(answered.status).toBe(201);
    expect(await api.exited).toBe(0);
    expect(api.output.some((line) => line.includes('API stopped'))).toBe(true);
  }, 60_000);
});
