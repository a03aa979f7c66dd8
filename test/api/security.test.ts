import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../../observability/logger';
import { eventually, http, newLead, sdkLogs, startTroupe, type Troupe } from '../support/harness';

const newKey = () => `tk_${randomBytes(16).toString('hex')}`;

/** The production logger, writing its JSON lines to an array, to check what the API logs. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ log: { level: 'info', format: 'json' } }, 'api', stream), lines };
}

describe('API keys', () => {
  const [keyA, keyB] = [newKey(), newKey()];
  const { logger, lines } = capturingLogger();
  let troupe: Troupe;
  beforeAll(async () => {
    troupe = await startTroupe({ env: { API_KEYS: `${keyA}, ${keyB}` }, logger });
  });
  afterAll(async () => troupe?.stop());

  it('every /api route needs a key: 401 problem without one or with a wrong one', async () => {
    const none = await http(`${troupe.url}/api/v1/leads`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await http(`${troupe.url}/api/v1/leads`, { headers: { authorization: `Bearer ${keyA}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toBe('The API key is not valid');
    // Unknown routes under /api do not reveal themselves to callers without a key.
    expect((await http(`${troupe.url}/api/v1/nothing-here`)).status).toBe(401);
  });

  it('accepts any configured key, as a bearer token or X-API-Key', async () => {
    expect(
      (await http(`${troupe.url}/api/v1/leads`, { headers: { authorization: `Bearer ${keyA}` } })).status,
    ).toBe(200);
    expect((await http(`${troupe.url}/api/v1/leads`, { headers: { 'x-api-key': keyB } })).status).toBe(200);
  });

  it('leaves health, readiness, metrics and docs open', async () => {
    expect((await http(`${troupe.url}/healthz`)).status).toBe(200);
    expect((await http(`${troupe.url}/readyz`)).status).toBe(200);
    expect((await http(`${troupe.url}/metrics`)).status).toBe(200);
    expect((await http(`${troupe.url}/openapi.json`)).status).toBe(200);
  });

  it('never writes a key, an email or a name to the logs', async () => {
    const lead = newLead({ name: 'Secret Sam' });
    await http(`${troupe.url}/api/v1/leads`, { body: lead, headers: { authorization: `Bearer ${keyA}` } });
    await http(`${troupe.url}/api/v1/leads`, { headers: { 'x-api-key': keyB } });
    const all = lines.join('');
    expect(all).toContain('"url":"/api/v1/leads"');
    expect(all).not.toContain(keyA);
    expect(all).not.toContain(keyB);
    expect(all).not.toContain(lead.email);
  });
});

describe('rate limits', () => {
  const key = newKey();
  let troupe: Troupe;
  beforeAll(async () => {
    troupe = await startTroupe({ worker: false, env: { API_KEYS: key, RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(async () => troupe?.stop());

  it('answers the request past the limit with 429, Retry-After and the RateLimit headers', async () => {
    const get = () => http(`${troupe.url}/api/v1/leads`, { headers: { 'x-api-key': key } });
    const ok = [];
    for (let i = 0; i < 5; i++) ok.push(await get());
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(ok[0]?.headers.get('ratelimit-policy')).toMatch(/q=5; w=60/);
    expect(ok[4]?.headers.get('ratelimit')).toMatch(/r=0/);
    const limited = await get();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.detail).toMatch(/^More than 5 requests a minute/);
    // Operations routes are not counted against the key.
    expect((await http(`${troupe.url}/healthz`)).status).toBe(200);
  });
});

describe('rate limits shared through Redis by several API processes', () => {
  const key = newKey();
  let first: Troupe;
  let second: Troupe;
  beforeAll(async () => {
    const env = {
      API_KEYS: key,
      RATE_LIMIT_PER_MINUTE: '4',
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    };
    first = await startTroupe({ worker: false, env });
    second = await startTroupe({ worker: false, env });
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  it('counts one key across both processes', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const troupe = i % 2 === 0 ? first : second;
      statuses.push((await http(`${troupe.url}/api/v1/leads`, { headers: { 'x-api-key': key } })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});

describe('request ids', () => {
  let troupe: Troupe;
  beforeAll(async () => {
    troupe = await startTroupe();
  });
  afterAll(async () => troupe?.stop());

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await http(`${troupe.url}/healthz`, { headers: { 'x-request-id': 'req-123.abc' } });
    expect(given.headers.get('x-request-id')).toBe('req-123.abc');
    const made = await http(`${troupe.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await http(`${troupe.url}/nowhere`, { headers: { 'x-request-id': 'req-404' } });
    expect(problem.body.requestId).toBe('req-404');
  });

  it('carries it into the workflow (memo) and onto every workflow and activity log line', async () => {
    const requestId = `req-${Date.now()}`;
    const created = await http(`${troupe.url}/api/v1/leads`, {
      body: newLead(),
      headers: { 'x-request-id': requestId },
    });
    await eventually(async () => {
      expect((await http(`${troupe.url}/api/v1/leads/${created.body.id}`)).body.status).toBe('COMPLETED');
    });
    const described = await troupe.client.workflow.getHandle(created.body.workflowId).describe();
    expect(described.memo).toMatchObject({ requestId });

    const lines = sdkLogs.filter((entry) => entry.meta?.workflowId === created.body.workflowId);
    const fromWorkflow = lines.filter((entry) => entry.meta?.sdkComponent === 'workflow');
    const fromActivities = lines.filter((entry) => entry.meta?.sdkComponent === 'activity');
    expect(fromWorkflow.length).toBeGreaterThan(0);
    expect(fromActivities.length).toBeGreaterThan(0);
    expect([...fromWorkflow, ...fromActivities].every((entry) => entry.meta?.requestId === requestId)).toBe(
      true,
    );
  });
});
