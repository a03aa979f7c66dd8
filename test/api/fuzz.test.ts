// Property-based fuzzing of every route, driven by the OpenAPI document: random and adversarial
// bodies, headers, query strings and path parameters. FUZZ_RUNS (batches of 10 requests each) and
// FUZZ_SEED reproduce or extend a run; on failure fast-check prints the seed and the shrunk requests.

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { bookingTaskQueue } from '../../workflows/task-queues';
import { prepareDatabase } from '../support/environment';
import { startTroupe, type Troupe } from '../support/harness';

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is walked dynamically
type Schema = Record<string, any>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  statuses: number[];
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Built to be refused: it must get a non-2xx answer and write nothing. */
  mustReject: boolean;
  statuses: number[];
  /** A path parameter that is empty or has a slash makes the path another route's (or none). */
  otherRoute: boolean;
  label: string;
}

const BATCH = 10;
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

function operations(document: Schema): Operation[] {
  const list: Operation[] = [];
  for (const [path, methods] of Object.entries<Schema>(document.paths)) {
    for (const [method, op] of Object.entries<Schema>(methods)) {
      list.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
        statuses: Object.keys(op.responses).map(Number),
      });
    }
  }
  return list;
}

const resolve = (document: Schema, schema: Schema): Schema =>
  schema?.$ref ? resolve(document, document.components.schemas[schema.$ref.split('/').pop()]) : schema;

const typesOf = (schema: Schema): string[] =>
  schema.type ? [schema.type].flat() : schema.anyOf ? schema.anyOf.flatMap(typesOf) : [];

/** A value the schema accepts: its example, else a plain one of its type. */
function sample(document: Schema, raw: Schema): unknown {
  const schema = resolve(document, raw);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  const type = typesOf(schema)[0];
  switch (type) {
    case 'object':
      return Object.fromEntries(
        (schema.required ?? []).map((key: string) => [key, sample(document, schema.properties[key])]),
      );
    case 'array':
      return Array.from({ length: schema.minItems ?? 1 }, () => sample(document, schema.items));
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return true;
    default:
      if (schema.format === 'uri') return 'https://example.com';
      if (schema.format === 'email' || /email/i.test(schema.description ?? '')) return 'fuzz@example.com';
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}

// Strings that have broken parsers, databases and loggers before.
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uD800',
    '\uFEFF',
    '💥'.repeat(100),
    "' OR '1'='1",
    '"; DROP TABLE leads; --',
    '<script>alert(1)</script>',
    '../../etc/passwd',
    '%00',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell-style payload, sent literally
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
    'NaN',
    '-0',
    '1e309',
    '9007199254740993',
  ),
  fc.integer({ min: 1_000, max: 120_000 }).map((n) => 'a'.repeat(n)),
);

const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), nasty, fc.integer(), fc.double(), fc.constant(null));

/** A value that is not of any of the schema's types (and that no coercion turns into one). */
const wrongTyped = (schema: Schema) => {
  const types = typesOf(schema);
  const options: fc.Arbitrary<unknown>[] = [
    fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  ];
  if (!types.includes('string')) options.push(fc.string().map((s) => `x${s}`));
  if (!types.some((t) => t === 'number' || t === 'integer' || t === 'string')) options.push(fc.double());
  if (!types.includes('array')) options.push(fc.array(fc.string(), { minLength: 2, maxLength: 3 }));
  if (!types.includes('boolean') && !types.includes('string')) options.push(fc.boolean());
  return fc.oneof(...options);
};

const pollution = fc.constantFrom(
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"a":{"__proto__":{"polluted":"yes"}},"__proto__":[]}',
);
const deepNesting = fc
  .integer({ min: 100, max: 20_000 })
  .chain((depth) =>
    fc.constantFrom(
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
      `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    ),
  );

/** A body for an operation, and whether it is certainly invalid. */
function bodies(
  document: Schema,
  raw: Schema,
): fc.Arbitrary<{ body: string; invalid: boolean; what: string }> {
  const schema = resolve(document, raw);
  const valid = sample(document, schema) as Record<string, unknown>;
  const properties = Object.keys(schema.properties ?? {});
  const required: string[] = schema.required ?? [];
  const mutations: fc.Arbitrary<{ body: string; invalid: boolean; what: string }>[] = [
    // Valid except one field, which has the wrong type.
    fc.constantFrom(...properties).chain((key) =>
      wrongTyped(resolve(document, schema.properties[key])).map((value) => ({
        body: JSON.stringify({ ...valid, [key]: value }),
        invalid: true,
        what: `wrong type for ${key}`,
      })),
    ),
    // Valid plus random values in the other fields.
    fc.record({ key: fc.constantFrom(...properties), value: anyJson }).map(({ key, value }) => ({
      body: JSON.stringify({ ...valid, [key]: value }),
      invalid: false,
      what: `random ${key}`,
    })),
    fc
      .jsonValue({ maxDepth: 5 })
      .map((value) => ({ body: JSON.stringify(value) ?? 'null', invalid: false, what: 'random JSON' })),
    fc.string().map((text) => ({ body: text, invalid: false, what: 'random text' })),
    pollution.map((body) => ({ body, invalid: true, what: 'prototype pollution' })),
    deepNesting.map((body) => ({ body, invalid: true, what: 'deep nesting' })),
  ];
  if (required.length > 0) {
    mutations.push(
      fc.constantFrom(...required).map((key) => {
        const { [key]: _dropped, ...rest } = valid;
        return { body: JSON.stringify(rest), invalid: true, what: `missing ${key}` };
      }),
    );
  }
  if (schema.additionalProperties === false) {
    mutations.push(
      fc
        .tuple(
          fc.string({ minLength: 1 }).filter((k) => !properties.includes(k)),
          anyJson,
        )
        .map(([key, value]) => ({
          body: JSON.stringify({ ...valid, [key]: value }),
          invalid: true,
          what: 'an unknown field',
        })),
    );
  }
  return fc.oneof(...mutations);
}

/** Percent-encodes the UTF-8 bytes of any string, lone surrogates included (encodeURIComponent throws). */
const pct = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0').toUpperCase()}`,
    )
    .join('');

function pathParam(schema: Schema): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(String(sample({}, schema))),
    nasty.map((s) => pct(s.slice(0, 3_000))),
    fc.constantFrom('%E0%A4%A', '..%2f..%2fetc', '%', '-1', '0', '1e3', '99999999999999999999', 'ld_', 'x/y'),
  );
}

function queryString(parameters: Parameter[]): fc.Arbitrary<string> {
  const query = parameters.filter((p) => p.in === 'query');
  const names = [...query.map((p) => p.name), 'unknown', '__proto__', 'limit[]'];
  const pair = fc.tuple(
    fc.constantFrom(...names),
    fc.oneof(
      fc.constantFrom(...query.map((p) => String(sample({}, p.schema))), '-1', '0', '101', '1e309', 'NaN'),
      nasty.map((s) => s.slice(0, 2_000)),
    ),
  );
  return fc
    .array(pair, { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&'));
}

function request(document: Schema, op: Operation, key: string): fc.Arbitrary<FuzzRequest> {
  const isPublic = !op.path.startsWith('/api/');
  const auth = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ ok: true, headers: { authorization: `Bearer ${key}` } }) },
    { weight: 1, arbitrary: fc.constant({ ok: true, headers: { 'x-api-key': key } }) },
    { weight: 1, arbitrary: fc.constant({ ok: false, headers: {} as Record<string, string> }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('Bearer', 'Bearer ', `Basic ${key}`, `Bearer ${key}x`, 'Bearer \u00ff')
        .map((authorization) => ({ ok: false, headers: { authorization } })),
    },
  );
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/xml',
        '',
      ),
    },
  );
  const idempotencyKey = fc.oneof(
    fc.constant(undefined),
    fc.uuid(),
    fc.constantFrom('', ' ', 'k'.repeat(300), 'ключ', 'a\tb'),
  );
  const params = op.parameters.filter((p) => p.in === 'path');
  const path = fc.tuple(...params.map((p) => pathParam(p.schema))).map((values) => ({
    path: params.reduce((acc, p, i) => acc.replace(`{${p.name}}`, values[i] ?? ''), op.path),
    // Empty, with a slash, or a dot segment (which URLs normalise away): another route's path.
    otherRoute: values.some((v) => v === '' || v.includes('/') || /^(\.|%2e){1,2}$/i.test(v)),
  }));
  const body = op.body ? bodies(document, op.body) : fc.constant(undefined);
  return fc
    .record({ auth, contentType, idempotencyKey, path, query: queryString(op.parameters), body })
    .map(({ auth, contentType, idempotencyKey, path: { path, otherRoute }, query, body }) => {
      const headers: Record<string, string> = { ...auth.headers };
      if (body) headers['content-type'] = contentType;
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      const jsonType = contentType.startsWith('application/json') && !contentType.includes('utf-16');
      const mutating = op.method !== 'GET';
      const rejected = (!isPublic && !auth.ok) || (!!body && (body.invalid || !jsonType));
      return {
        method: op.method,
        path: query ? `${path}?${query}` : path,
        headers,
        body: body?.body,
        // Creating routes must refuse what is certainly invalid; actions on ids that were never
        // created (every sample id) have nothing to act on.
        mustReject: mutating && (rejected || op.path.includes('{')),
        statuses: op.statuses,
        otherRoute,
        label: `${op.method} ${op.path}${body ? ` (${body.what})` : ''}`,
      };
    });
}

async function rowCounts(troupe: Troupe): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'`.execute(troupe.db);
  const counts: Record<string, number> = {};
  for (const { name } of tables.rows) {
    const result = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(name)}`.execute(troupe.db);
    counts[name] = Number(result.rows[0]?.n);
  }
  return counts;
}

async function workflowCount(troupe: Troupe): Promise<number> {
  const { taskQueue } = troupe.config.temporal;
  const { count } = await troupe.client.workflow.count(
    `TaskQueue = "${taskQueue}" OR TaskQueue = "${bookingTaskQueue(taskQueue)}"`,
  );
  return count;
}

describe('fuzzing every route from the OpenAPI document', () => {
  const key = `tk_${randomBytes(16).toString('hex')}`;
  let troupe: Troupe;
  let document: Schema;

  beforeAll(async () => {
    // No worker: a rejected request must not start anything, and an accepted one is not the point.
    // A database of its own: the row counts below must not see other test files' writes.
    const mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_fuzz`);
    troupe = await startTroupe({
      worker: false,
      env: { MYSQL_URL: mysqlUrl, API_KEYS: key, RATE_LIMIT_PER_MINUTE: '100000000' },
    });
    document = (await (await fetch(`${troupe.url}/openapi.json`)).json()) as Schema;
  });
  afterAll(async () => troupe?.stop());

  // 503 "busy" (no MySQL connection free within MYSQL_ACQUIRE_TIMEOUT_MS) is the documented answer to
  // overload, not to the input: a CI machine under load can meet it. Tolerated only when rare (below).
  let busy = 0;
  const busyShare = (sent: number) => busy / Math.max(1, sent);

  async function send(r: FuzzRequest): Promise<string | undefined> {
    // Header bytes as a raw client sends them: UTF-8 read as Latin-1 (fetch allows only bytes).
    const headers = Object.fromEntries(
      Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('latin1')]),
    );
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${troupe.url}${r.path}`, {
        method: r.method,
        headers,
        body: r.body,
        signal: AbortSignal.timeout(15_000),
      });
      text = await response.text();
    } catch (err) {
      return `no answer (${(err as Error).message}): ${r.label} ${r.method} ${r.path.slice(0, 200)} body ${String(r.body).slice(0, 200)}`;
    }
    const { status } = response;
    const where = `${r.label} ${r.method} ${r.path.slice(0, 200)} body ${String(r.body).slice(0, 200)} → ${status} ${text.slice(0, 200)}`;
    // /readyz answers 503 while no worker polls (there is none here): that is its documented job.
    if (status === 503 && response.headers.get('retry-after') && /"detail":"Troupe is busy/.test(text)) {
      busy++;
      return undefined;
    }
    if (status >= 500 && !(status === 503 && r.path.startsWith('/readyz'))) return `5xx: ${where}`;
    if (r.mustReject && status < 300) return `accepted a request built to be refused: ${where}`;
    if (status < 300) return undefined;
    // A path that is no longer this route's gets the unmatched-route answers.
    if (!r.statuses.includes(status) && !(r.otherRoute && (status === 404 || status === 405)))
      return `undocumented status: ${where}`;
    if (!response.headers.get('content-type')?.startsWith('application/problem+json'))
      return `not problem+json (${response.headers.get('content-type')}): ${where}`;
    let problem: Record<string, unknown>;
    try {
      problem = JSON.parse(text);
    } catch {
      return `unparsable problem: ${where}`;
    }
    const shaped =
      problem.status === status &&
      ['type', 'title', 'detail'].every((k) => typeof problem[k] === 'string') &&
      (problem.errors === undefined ||
        (Array.isArray(problem.errors) &&
          problem.errors.every((e) => typeof e?.field === 'string' && typeof e?.message === 'string')));
    return shaped ? undefined : `problem not of the documented shape: ${where}`;
  }

  it(`sends ${RUNS * BATCH} requests: no 5xx, only documented problem+json answers`, async () => {
    const ops = operations(document);
    expect(ops.length).toBeGreaterThanOrEqual(15);
    // Writes that might be valid would start workflows that no worker here runs (the API then waits
    // on them); those paths are the route tests' job. Every read, and every write built to be refused.
    const anyRequest = fc
      .oneof(...ops.map((op) => request(document, op, key)))
      .filter((r) => r.method === 'GET' || r.mustReject);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(anyRequest, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const failures = await Promise.all(batch.map(send));
        sent += batch.length;
        expect(failures.filter(Boolean)).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect(sent).toBeGreaterThanOrEqual(RUNS * BATCH);
    expect(busyShare(sent)).toBeLessThan(0.01);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 600_000);

  it('writes nothing to MySQL or Temporal for a batch of refused writes', async () => {
    const writes = operations(document).filter((op) => op.method !== 'GET');
    const refusedRequest = fc
      .oneof(...writes.map((op) => request(document, op, key)))
      .filter((r) => r.mustReject);
    const before = { rows: await rowCounts(troupe), workflows: await workflowCount(troupe) };
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(refusedRequest, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const failures = await Promise.all(batch.map(send));
        sent += batch.length;
        expect(failures.filter(Boolean)).toEqual([]);
      }),
      { numRuns: Math.ceil(RUNS / 5), seed: SEED, endOnFailure: true },
    );
    expect(sent).toBeGreaterThan(0);
    // Visibility is eventually consistent; give a wrongly started workflow a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect({ rows: await rowCounts(troupe), workflows: await workflowCount(troupe) }).toEqual(before);
  }, 600_000);
});
