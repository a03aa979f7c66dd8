import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../db';
import { deliveryStats } from '../../db/webhook-deliveries';

/**
 * Webhook delivery metrics, read from MySQL when scraped (so every worker's deliveries count, from any
 * API process): deliveries by status, and the age of the oldest event not yet delivered — the one to
 * alert on.
 */
export function registerWebhookMetrics(registry: Registry, db: Db): void {
  let stats: Promise<Awaited<ReturnType<typeof deliveryStats>>> | undefined;
  // One query per scrape for both gauges, and a failed one leaves them unset rather than failing /metrics.
  const current = () => {
    stats ??= deliveryStats(db).finally(() => setTimeout(() => (stats = undefined), 1_000).unref());
    return stats.catch(() => undefined);
  };
  new Gauge({
    name: 'troupe_webhook_deliveries',
    help: 'Webhook deliveries by status (pending, delivered, failed, gone, disabled)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const s = await current();
      this.reset();
      for (const [status, count] of Object.entries(s?.byStatus ?? {})) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'troupe_webhook_oldest_undelivered_seconds',
    help: 'How long the oldest pending webhook delivery has waited (0 when none is pending)',
    registers: [registry],
    async collect() {
      const s = await current();
      if (s) this.set(s.oldestPendingSeconds);
    },
  });
}
