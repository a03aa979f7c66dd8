import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { prepareDatabase } from '../support/environment';
import { eventually, http } from '../support/harness';
import { startTroupeProcesses, type TroupeProcesses } from '../support/troupe-processes';
import { WebhookReceiver } from '../support/webhook-receiver';

// A worker SIGKILLed while a delivery is in flight: the receiver still gets the event (at least once,
// always the same webhook-id), and the delivery log shows what the receiver saw: the interrupted
// attempt, then the one that was taken.
describe('a worker killed mid-delivery', () => {
  let troupe: TroupeProcesses;
  let receiver: WebhookReceiver;
  let api: string;

  beforeAll(async () => {
    const mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_hookcrash`);
    receiver = await new WebhookReceiver().start();
    troupe = await startTroupeProcesses({
      temporalAddress: process.env.TEST_TEMPORAL_ADDRESS ?? '',
      mysqlUrl,
      apis: 1,
      workers: 1,
      dataDir: mkdtempSync(path.join(tmpdir(), 'troupe-hookcrash-')),
      env: { WEBHOOK_TIMEOUT_MS: '20000', WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s' },
    });
    api = troupe.apis[0]?.url ?? '';
  }, 120_000);
  afterAll(async () => {
    await troupe?.stop();
    await receiver?.stop();
  });

  it('delivers at least once with one id, and logs the interrupted attempt', async () => {
    const endpoint = (
      await http(`${api}/api/v1/webhook-endpoints`, {
        body: { url: `${receiver.url}/hook`, events: ['lead.completed'] },
      })
    ).body as { id: string; secret: string };
    // The first request is held for 15 s: the worker dies while it waits.
    receiver.script('/hook', [{ status: 200, delayMs: 15_000 }, 200]);
    const ping = await http(`${api}/api/v1/webhook-endpoints/${endpoint.id}/test`, { method: 'POST' });
    expect(ping.status).toBe(202);
    await eventually(async () => expect(receiver.at('/hook')).toHaveLength(1));
    await troupe.replaceWorker(0, 0);

    const hits = await eventually(async () => {
      expect(receiver.at('/hook')).toHaveLength(2);
      return receiver.at('/hook');
    }, 60_000);
    expect(new Set(hits.map((h) => h.headers['webhook-id']))).toEqual(new Set([ping.body.eventId]));
    for (const hit of hits)
      new Webhook(endpoint.secret).verify(hit.body, hit.headers as Record<string, string>);

    const log = await eventually(async () => {
      const page = await http(`${api}/api/v1/webhook-endpoints/${endpoint.id}/deliveries`);
      expect(page.body.items[0].status).toBe('delivered');
      return page.body.items[0];
    }, 30_000);
    // As many attempts as requests the receiver saw: the first cut short by the kill, the second taken.
    expect(log.attempts).toHaveLength(hits.length);
    expect(log.attempts[0]).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/^no outcome recorded/),
    });
    expect(log.attempts[1]).toMatchObject({ statusCode: 200, error: null });
  }, 120_000);
});
