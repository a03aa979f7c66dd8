// What a person does in the Web UI, as steps that wait for what the page shows.
import type { Page } from 'playwright-core';
import { eventually } from '../../support/harness';

/** The page's visible text (CodeMirror draws only what is on screen; callers scroll to the part they read). */
export const pageText = (page: Page) => page.locator('body').innerText();

/** Waits until the page shows every one of `texts`; fails with what it showed instead. */
export async function waitForText(
  page: Page,
  texts: (string | RegExp)[],
  timeoutMs = 20_000,
): Promise<string> {
  return eventually(
    async () => {
      const text = await pageText(page);
      for (const wanted of texts) {
        if (typeof wanted === 'string' ? !text.includes(wanted) : !wanted.test(text)) {
          throw new Error(`the page does not show ${wanted}; it shows:\n${text.slice(0, 4000)}`);
        }
      }
      return text;
    },
    timeoutMs,
    300,
  );
}

/** A workflow's page in a Web UI (its latest run). */
export const workflowUrl = (ui: string, workflowId: string) =>
  `${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;

/** The workflow list filtered with a query typed as a person would (the UI's own query syntax). */
export const workflowListUrl = (ui: string, query: string) =>
  `${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
