import { randomBytes } from 'node:crypto';
import { startTroupe, type Troupe } from '../support/harness';

interface Operation {
  responses: Record<string, unknown>;
  requestBody?: unknown;
}
type Paths = Record<string, Record<string, Operation>>;

interface Attack {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Statuses this route documents (plus the ones every route may answer). */
  allowed: number[];
}

// Whatever a client sends, the answer must not show how the server is built.
const LEAK =
  /\bat \S+ \(|\.[jt]s:\d+|\bstack\b|SELECT |INSERT |UPDATE |\bER_[A-Z_]+|ECONN|127\.0\.0\.1|localhost|sqlMessage|node_modules/i;
const ALWAYS = [400, 401, 404, 405, 413, 415, 429];

/** A plausible value for each path parameter, so that only the part under attack is wrong. */
const SAMPLE_PARAMS: Record<string, string> = {
  '/api/v1/leads/{id}': 'ld_000000000000000000000000',
  '/api/v1/shows/{id}/seats': '999999',
  '/api/v1/bookings/{id}': 'bk_000000000000000000000000',
  '/api/v1/bookings/{id}/confirm': 'bk_000000000000000000000000',
  '/api/v1/bookings/{id}/cancel': 'bk_000000000000000000000000',
  '/api/v1/payments/{id}': 'pay_000000000000000000000000',
  '/api/v1/payments/{id}/capture': 'pay_000000000000000000000000',
  '/api/v1/payments/{id}/refund': 'pay_000000000000000000000000',
};

function attacks(paths: Paths, key: string): Attack[] {
  const list: Attack[] = [];
  for (const [template, operations] of Object.entries(paths)) {
    const path = template.replace('{id}', SAMPLE_PARAMS[template] ?? 'x');
    for (const [method, operation] of Object.entries(operations)) {
      const allowed = [...new Set([...ALWAYS, ...Object.keys(operation.responses).map(Number)])].filter(
        (s) => s < 500,
      );
      const auth = { authorization: `Bearer ${key}` };
      const json = { ...auth, 'content-type': 'application/json' };
      const add = (name: string, a: Partial<Attack>) =>
        list.push({
          name: `${method.toUpperCase()} ${template}: ${name}`,
          method: method.toUpperCase(),
          path,
          allowed,
          ...a,
        });

      if (template.startsWith('/api/')) {
        add('no API key', {});
        add('a wrong API key', { headers: { 'x-api-key': 'tk_not-a-key-at-all-0000' } });
        add('a key in a malformed header', { headers: { authorization: 'Bearer' } });
      }
      add('an unsupported method', { method: 'PATCH', headers: auth });
      if (template.includes('{id}')) {
        const ids: [string, string][] = [
          ['path traversal', '..%2f..%2f..%2fetc%2fpasswd'],
          ['SQL in the id', "1'%20OR%20'1'%3D'1"],
          ['a broken percent-encoding', '%E0%A4%A'],
          ['a 5000-character id', 'x'.repeat(5000)],
        ];
        for (const [what, id] of ids) {
          add(what, { path: template.replace('{id}', id), headers: auth });
        }
      }
      if (method === 'get' && template.includes('leads') && !template.includes('{id}')) {
        for (const query of [
          'limit=-1',
          'limit=1e309',
          'limit=99999',
          'status=%3Cscript%3E',
          'cursor=%00%01',
          'limit=1&limit=2',
          'unknown=1',
        ]) {
          add(`query ${query}`, { path: `${path}?${query}`, headers: auth });
        }
      }
      if (operation.requestBody) {
        add('malformed JSON', { headers: json, body: '{"a":' });
        add('JSON that is a string', { headers: json, body: '"hello"' });
        add('JSON that is an array', { headers: json, body: '[1,2,3]' });
        add('a prototype-polluting body', {
          headers: json,
          body: '{"__proto__":{"admin":true},"constructor":{"x":1}}',
        });
        add('wrongly typed fields', {
          headers: json,
          body: JSON.stringify({
            name: 1,
            email: [],
            amount: 'lots',
            seatIds: 'A1',
            showId: -1,
            paymentMethod: {},
            capture: 'sometimes',
          }),
        });
        add('deeply nested JSON', { headers: json, body: `${'['.repeat(5000)}${']'.repeat(5000)}` });
        add('a form body', {
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a=1',
        });
        add('a body with no content type', { headers: auth, body: '{}' });
        add('a UTF-16 charset', {
          headers: { ...auth, 'content-type': 'application/json; charset=utf-16' },
          body: '{}',
        });
        add('a body over 100 kB', { headers: json, body: JSON.stringify({ name: 'x'.repeat(110 * 1024) }) });
        add('an Idempotency-Key of 300 characters', {
          headers: { ...json, 'idempotency-key': 'k'.repeat(300) },
          body: JSON.stringify({ name: 'x' }),
        });
      }
    }
  }
  list.push(
    { name: 'an unknown route', method: 'GET', path: '/api/v2/leads', allowed: [401, 404] },
    { name: 'an unknown top-level route', method: 'GET', path: '/wp-admin/install.php', allowed: [404] },
    { name: 'a POST to /metrics', method: 'POST', path: '/metrics', allowed: [405] },
  );
  return list;
}

describe('a battery of malformed, oversized, mistyped, unauthenticated and hostile requests', () => {
  const key = `tk_${randomBytes(16).toString('hex')}`;
  let troupe: Troupe;
  let battery: Attack[];

  beforeAll(async () => {
    troupe = await startTroupe({ env: { API_KEYS: key } });
    const document = (await (await fetch(`${troupe.url}/openapi.json`)).json()) as { paths: Paths };
    battery = attacks(document.paths, key);
  });
  afterAll(async () => troupe?.stop());

  it('covers every route with at least 50 requests', () => {
    expect(battery.length).toBeGreaterThanOrEqual(50);
  });

  it('answers each with a documented 4xx problem, never a 5xx or a leak', async () => {
    const failures: string[] = [];
    for (const attack of battery) {
      const response = await fetch(`${troupe.url}${attack.path}`, {
        method: attack.method,
        headers: attack.headers,
        body: attack.body,
      });
      const text = await response.text();
      const problems: string[] = [];
      if (!attack.allowed.includes(response.status)) problems.push(`status ${response.status}`);
      if (!response.headers.get('content-type')?.startsWith('application/problem+json')) {
        problems.push(`content-type ${response.headers.get('content-type')}`);
      } else {
        const body = JSON.parse(text);
        if (body.status !== response.status || !body.title || !body.detail || !body.type)
          problems.push('incomplete problem');
      }
      if (LEAK.test(text)) problems.push(`leak: ${text.slice(0, 200)}`);
      if (problems.length > 0) failures.push(`${attack.name} → ${problems.join(', ')}`);
    }
    expect(failures).toEqual([]);
  });
});
