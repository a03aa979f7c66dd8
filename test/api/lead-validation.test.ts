import { http, newLead, startTroupe, type Troupe } from '../support/harness';

describe('the leads API answers bad input with a problem that names what is wrong', () => {
  let troupe: Troupe;
  beforeAll(async () => {
    troupe = await startTroupe({ worker: false });
  });
  afterAll(async () => troupe?.stop());

  const post = (body: unknown) => http(`${troupe.url}/api/v1/leads`, { body });

  it.each([
    ['a missing name', { name: undefined }, 'body.name'],
    ['an empty company', { company: '   ' }, 'body.company'],
    ['an invalid email', { email: 'not-an-email' }, 'body.email'],
    ['a non-http LinkedIn URL', { linkedinUrl: 'javascript:alert(1)' }, 'body.linkedinUrl'],
    ['a website without a host', { website: 'https://' }, 'body.website'],
    ['an invalid notifyEmail', { notifyEmail: 'someone@' }, 'body.notifyEmail'],
    ['a name that is a number', { name: 42 }, 'body.name'],
    ['a title over 200 characters', { title: 'x'.repeat(201) }, 'body.title'],
    ['an unknown field', { nickname: 'Amazing Grace' }, 'body.nickname'],
  ])('400 for %s', async (_what, change, field) => {
    const response = await post({ ...newLead(), ...change });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, title: 'Invalid request' });
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(response.body.detail).toContain(field);
  });

  it('says plainly when a field is missing or unknown', async () => {
    const response = await post({ ...newLead(), name: undefined, nickname: 'Amazing Grace' });
    expect(response.body.errors).toEqual([
      { field: 'body.name', message: 'is required' },
      { field: 'body.nickname', message: 'is not a known field' },
    ]);
  });

  it('400 for a body that is not an object', async () => {
    const response = await post(['a', 'list']);
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('body');
  });

  it('400 for malformed JSON, 415 for another content type, 413 past 100 kB', async () => {
    const malformed = await http(`${troupe.url}/api/v1/leads`, {
      raw: '{"name": "Ada",',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toBe('The body is not valid JSON');

    const form = await http(`${troupe.url}/api/v1/leads`, {
      raw: 'name=Ada',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);

    const huge = await post({ ...newLead(), title: 'x'.repeat(101 * 1024) });
    expect(huge.status).toBe(413);
  });

  it('400 for bad query parameters and ids; 404 for an unknown lead', async () => {
    expect((await http(`${troupe.url}/api/v1/leads?limit=0`)).body.errors[0].field).toBe('query.limit');
    expect((await http(`${troupe.url}/api/v1/leads?limit=abc`)).status).toBe(400);
    expect((await http(`${troupe.url}/api/v1/leads?status=DONE`)).body.errors[0].field).toBe('query.status');
    expect((await http(`${troupe.url}/api/v1/leads?cursor=garbage`)).body.errors[0].field).toBe(
      'query.cursor',
    );
    expect((await http(`${troupe.url}/api/v1/leads?limit=1&limit=2`)).status).toBe(400);
    expect((await http(`${troupe.url}/api/v1/leads/not-an-id`)).body.errors[0].field).toBe('path.id');
    const missing = await http(`${troupe.url}/api/v1/leads/ld_000000000000000000000000`);
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('Lead ld_000000000000000000000000 was not found');
  });

  it('a 400 for a bad Idempotency-Key', async () => {
    const response = await http(`${troupe.url}/api/v1/leads`, {
      body: newLead(),
      headers: { 'Idempotency-Key': 'has spaces in it' },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('header.idempotency-key');
  });

  it('nothing is written for a rejected request', async () => {
    const lead = newLead({ website: 'ftp://nope' });
    expect((await post(lead)).status).toBe(400);
    const rows = await troupe.db.selectFrom('leads').select('id').where('email', '=', lead.email).execute();
    expect(rows).toHaveLength(0);
  });
});
