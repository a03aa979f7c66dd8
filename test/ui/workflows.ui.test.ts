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
  let browser: Browser;
  let page: Page;
  let db: Db;

  beforeAll(async () => {
    [troupe, browser] = await Promise.all([startTroupeAsNpmStart(), launchChromium()]);
    plainUi = await startUiServer({ temporalAddress: troupe.temporalAddress, port: await freePort() });
    db = createDb(troupe.mysqlUrl);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await plainUi?.stop();
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
    await screenshot(page, 'lead-decoded');
    // The score and the report's Message-ID sit further down the result.
    await waitForText(page, [`"score": ${lead.analysis.score}`, `"messageId": "${lead.report.messageId}"`]);

    await page.goto(workflowUrl(plainUi.url, lead.workflowId));
    await waitForText(page, ['Input', 'Result']);
    await page.getByRole('button', { name: 'JSON' }).click().catch((e) => console.log(e));
    await page.waitForTimeout(2000);
    console.log('PLAIN', await page.locator('body').innerText());
    const plain = await waitForText(page, ['Input', 'Result']);
    for (const secret of ['Grace Hopper', lead.email, lead.report.messageId, '"score"']) {
      expect(plain).not.toContain(secret);
    }
    await screenshot(page, 'lead-without-codec');
  });

  it('a failed lead: the failure message is decoded', async () => {
    // Tavily refuses the key for this lead's three research requests.
    troupe.tavily.enqueue({ status: 401 }, { status: 401 }, { status: 401 });
    const created = await http(`${troupe.api}/api/v1/leads`, { body: newLead({ name: 'Alan Turing' }) });
    const lead = await settledLead(created.body.id, 'FAILED');

    await page.goto(workflowUrl(troupe.ui, lead.workflowId));
    const text = await waitForText(page, ['Tavily rejected the API key (HTTP 401)']);
    await page.getByText('Activity Task Failed').first().click();
    await page.waitForTimeout(1500);
    console.log('FAILED', await page.locator('body').innerText());
    await screenshot(page, 'lead-failed');
    await page.goto(workflowUrl(plainUi.url, lead.workflowId));
    console.log(await waitForText(page, ['Input']));
    await screenshot(page, 'lead-failed-without-codec');
  });

  it('a booking: the hold timer, the bookingState query, the payment child with its amount', async () => {
    const showId = await createShow(db, { priceMinor: 1250 });
    const held = await http(`${troupe.api}/api/v1/bookings`, {
      body: { showId, seatIds: ['B1', 'B2'], customer: { name: 'Ada Lovelace', email: 'ada@troupe.test' } },
    });
    expect(held.status).toBe(201);
    const booking = await http(`${troupe.api}/api/v1/bookings/${held.body.id}`);
    console.log(JSON.stringify(booking.body));
    const workflowId = booking.body.workflowId ?? `booking-${held.body.id}`;
    await page.goto(workflowUrl(troupe.ui, workflowId));
    await page.waitForTimeout(3000);
    console.log(await page.locator('body').innerText());
    await screenshot(page, 'booking-held');
    await page.getByRole('link', { name: 'Queries' }).click().catch((e) => console.log(e));
    await page.waitForTimeout(3000);
    console.log('QUERIES', await page.locator('body').innerText());
    await screenshot(page, 'booking-query');
    const confirmed = await http(`${troupe.api}/api/v1/bookings/${held.body.id}/confirm`, { body: { paymentMethod: 'pm_card_visa' } });
    console.log(JSON.stringify(confirmed.body));
    await page.goto(workflowUrl(troupe.ui, workflowId));
    await page.getByRole('link', { name: /Relationships/ }).click().catch((e) => console.log(e));
    await page.waitForTimeout(3000);
    console.log('REL', await page.locator('body').innerText());
    await screenshot(page, 'booking-relationships');
  });
});
