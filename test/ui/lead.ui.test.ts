import type { Browser, Page } from 'playwright-core';
import { eventually, http, newLead } from '../support/harness';
import { launchChromium, screenshot } from './support/browser';
import { type StartedTroupe, startTroupeAsNpmStart } from './support/troupe';

describe('a lead in the Web UI', () => {
  let troupe: StartedTroupe;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [troupe, browser] = await Promise.all([startTroupeAsNpmStart(), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await troupe?.stop();
  });

  it('explore', async () => {
    const lead = newLead({ name: 'Grace Hopper' });
    const created = await http(`${troupe.api}/api/v1/leads`, { body: lead });
    expect(created.status).toBe(202);
    const done = await eventually(async () => {
      const got = await http(`${troupe.api}/api/v1/leads/${created.body.id}`);
      expect(got.body.status).toBe('COMPLETED');
      return got.body;
    }, 60_000, 500);
    console.log(JSON.stringify(done));
    await page.goto(`${troupe.ui}/namespaces/default/workflows?query=${encodeURIComponent('LeadStatus = "COMPLETED"')}`);
    await page.waitForTimeout(4000);
    console.log(await page.locator('body').innerText());
    await screenshot(page, 'explore-list');
    await page.goto(`${troupe.ui}/namespaces/default/workflows/${done.workflowId}`);
    await page.waitForTimeout(5000);
    console.log(await page.locator('body').innerText());
    await screenshot(page, 'explore-lead');
  });
});
