// The Web UI as an operator uses it, against Troupe started as `npm start` starts it: the dev server's
// UI decodes through the API's codec; a second UI on the same server (no codec) shows ciphertext.
import type { Browser, Page } from 'playwright-core';
import { createDb, type Db } from '../../db';
import { startUiServer, type UiServer } from '../../tools/ui/ui-server';
import { eventually, http, newLead } from '../support/harness';
import { createShow } from '../support/inventory';
import { freePort } from '../support/ports';
import { launchChromium, screenshot } from './support/browser';
import { waitForText, workflowListUrl, workflowUrl } from './support/pages';
import { type StartedTroupe, startTroupeAsNpmStart } from './support/troupe';

describe('Troupe in the Temporal Web UI', () => {
  let troupe: StartedTroupe;
  let plainUi: UiServer;
  let foreignUi: UiServer;
  let browser: Browser;
  let page: Page;
  let db: Db;

  beforeAll(async () => {
    // One after the other, so that afterAll can close whichever started if the other fails (in
    // Promise.all a rejection leaves the browser unassigned, and its process keeps jest from exiting).
    browser = await launchChromium();
    troupe = await startTroupeAsNpmStart();
    plainUi = await startUiServer({ temporalAddress: troupe.temporalAddress, port: await freePort() });
    // A UI whose origin is not in CODEC_CORS_ORIGINS (the dev server UI's), pointed at the same codec.
    foreignUi = await startUiServer({
      temporalAddress: troupe.temporalAddress,
      port: await freePort(),
      codecEndpoint: `${troupe.api}/codec`,
    });
    db = createDb(troupe.mysqlUrl);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await plainUi?.stop();
    await foreignUi?.stop();
    await db?.destroy();
    await troupe?.stop();
  });

  const settledLead = (id: string, status: string) =>
    eventually(
      async () => {
        const got = await http(`${troupe.api}/api/v1/leads/${id}`);
        expect(got.body.status).toBe(status);
        return got.body;
      },
      60_000,
      500,
    );

  it('a completed lead: found by LeadStatus, its input and result decoded; ciphertext in a UI without the codec', async () => {
    const created = await http(`${troupe.api}/api/v1/leads`, { body: newLead({ name: 'Grace Hopper' }) });
    expect(created.status).toBe(202);
    const lead = await settledLead(created.body.id, 'COMPLETED');

    await page.goto(workflowListUrl(troupe.ui, 'LeadStatus = "COMPLETED"'));
    await waitForText(page, ['LeadStatus', lead.workflowId, 'leadWorkflow']);
    await page.getByRole('link', { name: lead.workflowId }).first().click();

    await waitForText(page, [
      'Input',
      `"name": "Grace Hopper"`,
      `"email": "${lead.email}"`,
      'Result',
      `"status": "COMPLETED"`,
    ]);
    // The score and the report's Message-ID come first in the result, before the long research.
    const decoded = await waitForText(page, [
      `"score": ${lead.analysis.score}`,
      `"messageId": "${lead.report.messageId}"`,
    ]);
    const result = decoded.slice(decoded.indexOf('Result'));
    expect(result.indexOf('"score"')).toBeLessThan(result.indexOf('"research"'));
    expect(result.indexOf('"messageId"')).toBeLessThan(result.indexOf('"research"'));
    await screenshot(page, 'lead-decoded');

    await page.goto(workflowUrl(plainUi.url, lead.workflowId));
    await waitForText(page, ['Input', 'Result']);
    // The event history as JSON: the payloads as Temporal stores them.
    await page.getByRole('button', { name: 'JSON' }).click();
    const plain = await waitForText(page, ['"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="']);
    expect(Buffer.from('YmluYXJ5L2VuY3J5cHRlZA==', 'base64').toString()).toBe('binary/encrypted');
    for (const secret of ['Grace Hopper', lead.email, lead.report.messageId, '"score"']) {
      expect(plain).not.toContain(secret);
    }
    await screenshot(page, 'lead-without-codec');

    // From an origin outside CODEC_CORS_ORIGINS the browser itself refuses the codec's answer.
    const consoleErrors: string[] = [];
    const onConsole = (message: { type(): string; text(): string }) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    };
    page.on('console', onConsole);
    await page.goto(workflowUrl(foreignUi.url, lead.workflowId));
    const foreign = await waitForText(page, [
      'Codec Server could not connect',
      '"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="',
    ]);
    expect(foreign).not.toContain(lead.email);
    page.off('console', onConsole);
    expect(consoleErrors.join('\n')).toContain(
      `Access to fetch at '${troupe.api}/codec/decode' from origin '${foreignUi.url}' has been blocked by CORS policy`,
    );
  });

  it('a failed lead: the failure message is decoded', async () => {
    // Tavily refuses the key for this lead's three research requests.
    troupe.tavily.enqueue({ status: 401 }, { status: 401 }, { status: 401 });
    const created = await http(`${troupe.api}/api/v1/leads`, { body: newLead({ name: 'Alan Turing' }) });
    const lead = await settledLead(created.body.id, 'FAILED');

    await page.goto(workflowUrl(troupe.ui, lead.workflowId));
    // The lead's result names the failure; the activity's failure, opened, shows its decoded message.
    await waitForText(page, ['"status": "FAILED"', '"message": "Tavily rejected the API key (HTTP 401)"']);
    await page.getByText('Activity Task Failed').first().click();
    await waitForText(page, ['encodedAttributes', '"message": "Tavily rejected the API key (HTTP 401)"']);
    await screenshot(page, 'lead-failed');
  });

  it('a booking: the hold timer, the bookingState query, the payment child with its amount', async () => {
    const showId = await createShow(db, { priceMinor: 1250 });
    const held = await http(`${troupe.api}/api/v1/bookings`, {
      body: { showId, seatIds: ['B1', 'B2'], customer: { name: 'Ada Lovelace', email: 'ada@troupe.test' } },
    });
    expect(held.status).toBe(201);
    const workflowId = `booking-${held.body.id}`;

    // Found as an operator looks for it: the list filtered on the booking's search attribute.
    await page.goto(workflowListUrl(troupe.ui, 'BookingStatus = "RESERVED"'));
    await waitForText(page, ['BookingStatus', workflowId, 'bookingWorkflow']);
    await page.getByRole('link', { name: workflowId }).first().click();
    await waitForText(page, [
      workflowId,
      'Running',
      'seat hold expires',
      'Timer Started',
      '"holdSeconds": 600',
    ]);
    await screenshot(page, 'booking-hold-timer');

    // The Queries tab, as a person uses it: pick the query, run it, read the decoded answer.
    await tab(page, 'Queries');
    await page.getByTestId('query-select-button').click();
    await page.getByRole('option', { name: 'bookingState' }).click();
    await page.getByRole('button', { name: /Run Query|Refresh Query/ }).click();
    await waitForText(page, [`"id": "${held.body.id}"`, '"status": "RESERVED"', '"amount": 2500']);
    expect(await page.getByTestId('query-result').innerText()).toContain('"status": "RESERVED"');
    await screenshot(page, 'booking-query');

    const confirmed = await http(`${troupe.api}/api/v1/bookings/${held.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    expect(confirmed.body).toMatchObject({
      status: 'CONFIRMED',
      payment: { status: 'CAPTURED', amount: 2500 },
    });
    const paymentWorkflowId = `payment-${confirmed.body.payment.id}`;
    await page.goto(workflowUrl(troupe.ui, workflowId));
    await tab(page, 'Relationships');
    await waitForText(page, ['paymentWorkflow', paymentWorkflowId]);
    await page.getByRole('link', { name: paymentWorkflowId }).first().click();
    await waitForText(page, [
      'Parent Workflow',
      workflowId,
      '"amount": 2500',
      '"currency": "EUR"',
      'refund window closes',
    ]);
    await screenshot(page, 'payment-child');
    // What the payment is, in words: its summary, decoded on its first event.
    const started = page.getByText(`€25.00 for booking ${held.body.id} (pm_card_visa)`);
    await started.scrollIntoViewIfNeeded();
    await waitForText(page, [
      /Workflow Execution Started\s+Workflow Type Name\s+paymentWorkflow\s+Summary\s+€25\.00 for booking/,
    ]);
  });
});

/** Opens one of a workflow page's tabs (History, Relationships, Queries…). */
async function tab(page: Page, name: string): Promise<void> {
  await page
    .getByRole('tab', { name: new RegExp(`^${name}`) })
    .or(page.getByRole('link', { name: new RegExp(`^${name}`) }))
    .first()
    .click({ timeout: 10_000 });
}
