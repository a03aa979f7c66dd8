import { http, startTroupe, type Troupe } from '../support/harness';

describe('health and readiness', () => {
  let withWorker: Troupe;
  let withoutWorker: Troupe;
  beforeAll(async () => {
    [withWorker, withoutWorker] = await Promise.all([startTroupe(), startTroupe({ worker: false })]);
  });
  afterAll(async () => {
    await Promise.all([withWorker?.stop(), withoutWorker?.stop()]);
  });

  it('/healthz answers while the process is up', async () => {
    expect(await http(`${withoutWorker.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('/readyz is 200 when MySQL, Temporal and a worker on the task queue are there', async () => {
    const ready = await http(`${withWorker.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { mysql: 'ok', temporal: 'ok', worker: 'ok' } });
  });

  it('/readyz is 503 naming the missing worker when nothing polls the task queue', async () => {
    const notReady = await http(`${withoutWorker.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(notReady.body.checks).toEqual({
      mysql: 'ok',
      temporal: 'ok',
      worker: `no worker is polling task queue "${withoutWorker.config.temporal.taskQueue}" (workflow)`,
    });
    expect(notReady.body.detail).toContain('worker');
  });

  it('/readyz names MySQL when the database is unreachable, without leaking its address', async () => {
    const broken = await startTroupe({
      worker: false,
      env: { MYSQL_URL: 'mysql://root@127.0.0.1:1/troupe' },
    });
    try {
      const notReady = await http(`${broken.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(notReady.body.checks.mysql).toBe('unreachable');
      expect(JSON.stringify(notReady.body)).not.toContain('127.0.0.1');
    } finally {
      await broken.stop();
    }
  });
});
