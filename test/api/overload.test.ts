import { http, startTroupe, type Troupe } from '../support/harness';

// Every MySQL connection of the API busy for longer than MYSQL_ACQUIRE_TIMEOUT_MS (a burst, a slow
// query): requests that need one are answered 503 with Retry-After, as for MySQL being down, not
// 500 "our fault" (the fuzzer met this under CI load: 500 from POST /lead-imports/{id}/cancel).
describe('the API with its MySQL pool exhausted', () => {
  let troupe: Troupe;
  let release: () => void = () => {};
  let held: Promise<unknown> = Promise.resolve();

  beforeAll(async () => {
    troupe = await startTroupe({
      worker: false,
      env: { MYSQL_POOL_SIZE: '1', MYSQL_ACQUIRE_TIMEOUT_MS: '300' },
    });
    // Hold the pool's only connection until the test ends.
    let acquired: () => void = () => {};
    const holding = new Promise<void>((resolve) => {
      acquired = resolve;
    });
    held = troupe.db.connection().execute(async () => {
      acquired();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await holding;
  });
  afterAll(async () => {
    release();
    await held;
    await troupe?.stop();
  });

  it.each([
    ['POST', '/api/v1/lead-imports/li_5f0c9a8e1d2b3c4d5e6f7a8b/cancel'],
    ['GET', '/api/v1/lead-imports/li_5f0c9a8e1d2b3c4d5e6f7a8b'],
    ['GET', '/api/v1/leads?limit=5'],
  ])('%s %s answers 503 with Retry-After and a problem naming the cause', async (method, path) => {
    const answer = await http(`${troupe.url}${path}`, { method });
    expect(answer.status).toBe(503);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.detail).toMatch(/busy/);
  });
});
