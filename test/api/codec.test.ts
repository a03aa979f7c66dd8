import { downloadHistory } from '../../clients/history';
import { http, newLead, startTroupe, type Troupe, testEnv } from '../support/harness';
import { freePort } from '../support/ports';
import { type Part, spawnPart } from '../support/processes';

const TOKEN = 'codec-token-for-the-tests';
const API_KEY = 'api-key-for-the-codec-tests';
const UI = 'http://temporal-ui.troupe.test:8233';

describe('the codec endpoints for the Web UI', () => {
  let troupe: Troupe;
  beforeAll(async () => {
    troupe = await startTroupe({
      worker: false,
      env: { CODEC_TOKEN: TOKEN, API_KEYS: API_KEY, CODEC_CORS_ORIGINS: UI },
    });
  });
  afterAll(async () => {
    await troupe?.stop();
  });

  const codec = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    http(`${troupe.url}/codec/${path}`, {
      body,
      headers: { authorization: `Bearer ${TOKEN}`, origin: UI, 'x-namespace': 'default', ...headers },
    });
  const plain = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from('"hi"').toString('base64'),
  };

  it('refuses a request without credentials, or with a wrong one (401)', async () => {
    const none = await http(`${troupe.url}/codec/decode`, { body: { payloads: [] } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(
      (await codec('decode', { payloads: [] }, { authorization: 'Bearer not-the-token-at-all' })).status,
    ).toBe(401);
  });

  it('refuses another origin (403, no CORS headers), its preflight included', async () => {
    const evil = { origin: 'https://evil.example' };
    const post = await codec('decode', { payloads: [] }, evil);
    expect(post.status).toBe(403);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${troupe.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { ...evil, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("answers the Web UI's preflight for its origin", async () => {
    const preflight = await fetch(`${troupe.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });

  it('decodes what it encoded, with the codec token or an API key', async () => {
    const encoded = await codec('encode', { payloads: [plain] });
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('access-control-allow-origin')).toBe(UI);
    const [payload] = encoded.body.payloads;
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    const decoded = await codec('decode', encoded.body, { authorization: `Bearer ${API_KEY}` });
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toEqual([plain]);
  });

  it('decodes the input of a workflow as Temporal stores it', async () => {
    const lead = newLead({ name: 'Codec Cordelia' });
    const handle = await troupe.client.workflow.start('leadWorkflow', {
      taskQueue: `nobody-polls-${Date.now()}`,
      workflowId: `codec-test-${Date.now()}`,
      args: [{ id: 'ld_000000000000000000000000', ...lead }],
    });
    try {
      const history = await downloadHistory(troupe.client, { workflowId: handle.workflowId });
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      const asJson = {
        metadata: Object.fromEntries(
          Object.entries(input?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(input?.data ?? []).toString('base64'),
      };
      expect(Buffer.from(asJson.data, 'base64').toString('latin1')).not.toContain('Cordelia');
      const decoded = await codec('decode', { payloads: [asJson] });
      expect(JSON.parse(Buffer.from(decoded.body.payloads[0].data, 'base64').toString())).toMatchObject(lead);
    } finally {
      await handle.terminate();
    }
  });

  it('refuses a body that is not Payloads, a payload it cannot decrypt, and another namespace', async () => {
    expect((await codec('decode', { payloads: [{ data: '%%%' }] })).status).toBe(400);
    const encoded = await codec('encode', { payloads: [plain] });
    const [payload] = encoded.body.payloads;
    const data = Buffer.from(payload.data, 'base64');
    data[20] = (data[20] ?? 0) ^ 1;
    const tampered = await codec('decode', { payloads: [{ ...payload, data: data.toString('base64') }] });
    expect(tampered.status).toBe(422);
    expect(tampered.body.detail).toMatch(/failed authentication/);
    expect((await codec('decode', { payloads: [] }, { 'x-namespace': 'someone-else' })).status).toBe(403);
    // The Temporal CLI sends an empty X-Namespace.
    expect((await codec('decode', { payloads: [] }, { 'x-namespace': '' })).status).toBe(200);
  });
});

describe('`npm run codec`, the codec as its own process', () => {
  let part: Part | undefined;
  afterAll(() => {
    part?.child.kill('SIGTERM');
  });

  it('serves the same endpoints with the same credentials', async () => {
    const port = await freePort();
    part = await spawnPart(
      'api/codec/main.ts',
      testEnv({ CODEC_PORT: String(port), CODEC_TOKEN: TOKEN, LOG_LEVEL: 'info' }),
      /Codec server listening/,
    );
    const url = `http://127.0.0.1:${port}/codec`;
    expect((await http(`${url}/encode`, { body: { payloads: [] } })).status).toBe(401);
    const encoded = await http(`${url}/encode`, {
      body: { payloads: [{ data: Buffer.from('x').toString('base64') }] },
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(encoded.status).toBe(200);
    const decoded = await http(`${url}/decode`, {
      body: encoded.body,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(Buffer.from(decoded.body.payloads[0].data, 'base64').toString()).toBe('x');
  });
});

describe('the codec with no API key or codec token configured', () => {
  const tryDecode = async (env: Record<string, string>) => {
    const troupe = await startTroupe({ worker: false, env });
    try {
      return (await http(`${troupe.url}/codec/decode`, { body: { payloads: [] } })).status;
    } finally {
      await troupe.stop();
    }
  };

  it('answers loopback callers on a laptop (npm start), so the dev Web UI decodes', async () => {
    expect(await tryDecode({ NODE_ENV: 'development' })).toBe(200);
  });

  it('refuses everyone in production', async () => {
    expect(await tryDecode({ NODE_ENV: 'production' })).toBe(401);
  });
});
