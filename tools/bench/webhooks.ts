// (6) Outbound webhooks: the same burst of leads with no subscriber, then with three subscribed to
// `lead.completed` (two live receivers, one dead address). Deliveries run on their own task queue, so
// the business workflows should be no slower; the live receivers must get every event.
import { http } from '../../test/support/harness';
import { freePort } from '../../test/support/ports';
import { WebhookReceiver } from '../../test/support/webhook-receiver';
import { troupeLead } from './end-to-end';
import type { BenchWorld } from './env';
import { latency, ratio, round, runPool } from './stats';

export async function webhookCost(world: BenchWorld, leads: number, concurrency: number) {
  const side = async () => {
    const run = await runPool(leads, concurrency, () => troupeLead(world));
    return { perSecond: round(run.ms.length / run.seconds, 2), ...latency(run.ms), errors: run.errors };
  };
  const without = await side();

  const live = await Promise.all([new WebhookReceiver().start(), new WebhookReceiver().start()]);
  const urls = [...live.map((r) => `${r.url}/bench`), `http://127.0.0.1:${await freePort()}/dead`];
  const ids: string[] = [];
  for (const url of urls) {
    const created = await http(`${world.troupe.url}/api/v1/webhook-endpoints`, {
      body: { url, events: ['lead.completed'], description: 'bench' },
    });
    if (created.status !== 201) throw new Error(`subscribing ${url}: ${created.status}`);
    ids.push(created.body.id);
  }
  try {
    const started = Date.now();
    const withEndpoints = await side();
    // Every live receiver gets every lead.completed of the burst (bounded wait: the bench ends anyway).
    const delivered = async () =>
      live.map((r) => new Set(r.received.map((x) => x.headers['webhook-id'])).size);
    const deadline = Date.now() + 120_000;
    while ((await delivered()).some((n) => n < leads) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 500));
    const counts = await delivered();
    return {
      leads,
      concurrency,
      events: leads,
      endpoints: urls.length,
      without,
      with: withEndpoints,
      deliveredToLive: counts,
      allDeliveredInSeconds: counts.every((n) => n >= leads) ? round((Date.now() - started) / 1000, 1) : null,
      ratio: {
        perSecond: ratio(without.perSecond, withEndpoints.perSecond),
        p50: ratio(withEndpoints.p50, without.p50),
        p99: ratio(withEndpoints.p99, without.p99),
      },
    };
  } finally {
    for (const id of ids)
      await http(`${world.troupe.url}/api/v1/webhook-endpoints/${id}`, { method: 'DELETE' }).catch(
        () => undefined,
      );
    await Promise.all(live.map((r) => r.stop()));
  }
}
