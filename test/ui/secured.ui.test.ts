// Troupe with API_KEYS set, as `npm start` runs it: the codec and /api need a key, /docs is public.
import type { Browser, Page } from 'playwright-core';
import { startUiServer, type UiServer } from '../../tools/ui/ui-server';
import { http, newLead } from '../support/harness';
import { freePort } from '../support/ports';
import { launchChromium, screenshot } from './support/browser';
import { waitForText, workflowUrl } from './support/pages';
import { startTlsProxy } from './support/tls-proxy';
import { type StartedTroupe, startTroupeAsNpmStart } from './support/troupe';

const API_KEY = 'ui-test-key-0123456789abcdef';

describe('Troupe with API keys, in the browser', () => {
  let troupe: StartedTroupe;
  let browser: Browser;
  let page: Page;
  // A Web UI that forwards its user's access token to the codec, behind HTTPS as in production.
  let tokenUi: UiServer;
  let tls: Awaited<ReturnType<typeof startTlsProxy>>;

  beforeAll(async () => {
    const tokenUiPort = await freePort();
    // One after the other, so that afterAll can close whichever started if the other fails.
    browser = await launchChromium();
    troupe = await startTroupeAsNpmStart({ API_KEYS: API_KEY }, [`http://localhost:${tokenUiPort}`]);
    tls = await startTlsProxy(troupe.api);
    tokenUi = await startUiServer({
      temporalAddress: troupe.temporalAddress,
      port: tokenUiPort,
      codecEndpoint: `${tls.url}/codec`,
      codecPassAccessToken: true,
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await tokenUi?.stop();
    await tls?.stop();
    await troupe?.stop();
  });

  /** /docs in a fresh page: Try it out on POST /api/v1/leads (after Authorize when `key` is given). */
  async function tryCreateLead(key?: string): Promise<Page> {
    const docs = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    docs.on('pageerror', (e) => errors.push(e.message));
    // A blocked script or style (say, by a Content-Security-Policy) is a console error; a 401 is not ours to hide.
    docs.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
    });
    await docs.goto(`${troupe.api}/docs/`);
    await waitForText(docs, ['Troupe API', 'Authorize', '/api/v1/leads']);
    if (key) {
      await docs.getByRole('button', { name: 'Authorize' }).first().click();
      const bearer = docs.locator('.auth-container').filter({ hasText: 'bearer' });
      await bearer.locator('input').fill(key);
      await bearer.locator('button.authorize').click();
      await waitForText(docs, ['Authorized']);
      await docs.getByRole('button', { name: 'Close' }).first().click();
    }
    const operation = docs.locator('#operations-Leads-createLead');
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation
      .locator('textarea.body-param__text')
      .fill(JSON.stringify(newLead({ name: 'Katherine Johnson' })));
    await operation.getByRole('button', { name: 'Execute' }).click();
    await operation.locator('.live-responses-table').waitFor();
    expect(errors).toEqual([]);
    return docs;
  }

  it('the Swagger UI at /docs: Authorize with a key, Try it out on POST /api/v1/leads: 202 and the lead id', async () => {
    const docs = await tryCreateLead(API_KEY);
    const live = docs.locator('#operations-Leads-createLead .live-responses-table');
    await waitForText(docs, [/"id": "ld_[0-9a-f]{24}"/, /"workflowId": "lead-ld_[0-9a-f]{24}"/]);
    expect(await live.innerText()).toMatch(/Code\s+Details\s+202\b/);
    await live.scrollIntoViewIfNeeded();
    await screenshot(docs, 'docs-try-it-out');
    await docs.close();
  });

  it('the Swagger UI unauthorized: the 401 problem', async () => {
    const docs = await tryCreateLead();
    const live = docs.locator('#operations-Leads-createLead .live-responses-table');
    expect(await live.innerText()).toMatch(/Code\s+Details\s+401\b/);
    await waitForText(docs, ['An API key is required', 'application/problem+json']);
    await docs.close();
  });

  it('the dev server UI, whose codec calls carry no key, cannot decode: it says so and shows ciphertext', async () => {
    const created = await http(`${troupe.api}/api/v1/leads`, {
      body: newLead({ name: 'Dorothy Vaughan' }),
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(created.status).toBe(202);
    await page.goto(workflowUrl(troupe.ui, created.body.workflowId));
    const text = await waitForText(page, [
      'Codec Server could not connect',
      '"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="',
    ]);
    expect(text).not.toContain('Dorothy Vaughan');
    await screenshot(page, 'lead-codec-refused');
  });

  it('a UI that forwards the right token decodes; the same UI with a wrong token does not', async () => {
    const created = await http(`${troupe.api}/api/v1/leads`, {
      body: newLead({ name: 'Mary Jackson' }),
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(created.status).toBe(202);
    // The signed-in user's access token, as the UI's OIDC login would hold it (the UI reads it from
    // its AccessToken hook); the self-signed certificate of the HTTPS front is accepted.
    const signedIn = async (token: string) => {
      const context = await browser.newContext({
        viewport: { width: 1440, height: 1000 },
        ignoreHTTPSErrors: true,
      });
      await context.addInitScript(`globalThis.AccessToken = async () => ${JSON.stringify(token)};`);
      return context.newPage();
    };
    const right = await signedIn(API_KEY);
    await right.goto(workflowUrl(tokenUi.url, created.body.workflowId));
    await waitForText(right, ['"name": "Mary Jackson"'], 30_000);
    await screenshot(right, 'lead-decoded-with-token');
    await right.context().close();

    const wrong = await signedIn('not-the-key-0123456789');
    await wrong.goto(workflowUrl(tokenUi.url, created.body.workflowId));
    const text = await waitForText(wrong, [
      'Codec Server could not connect',
      '"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="',
    ]);
    expect(text).not.toContain('Mary Jackson');
    await wrong.context().close();
  });
});
