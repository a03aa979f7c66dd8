// `npm run reconcile:payments -- --since 24h [--until <ISO time>] [--dry-run]`: Troupe's payments
// against the payment gateway's record for a time range (tools/payments/reconcile.ts). Settles what a
// lost webhook left open and prints what it did; exits 1 if something could not be settled.
import { parseArgs } from 'node:util';
import { HttpPaymentGateway } from '../../clients/payment-gateway';
import { connectClient } from '../../clients/temporal';
import { runMain } from '../../config/entrypoint';
import { openDatabase } from '../../db/migrate';
import { reconcilePayments } from './reconcile';

const DURATION = /^(\d+)(m|h|d)$/;

function parseSince(value: string): Date {
  const match = DURATION.exec(value);
  if (match) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(match[1]) * unit);
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime()))
    throw new Error(`--since must be like 90m, 24h, 7d or an ISO time (got "${value}")`);
  return at;
}

runMain('reconcile', async (config, logger) => {
  const { values } = parseArgs({
    options: {
      since: { type: 'string', default: '24h' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const from = parseSince(values.since ?? '24h');
  const to = values.until ? parseSince(values.until) : new Date();
  const db = await openDatabase({ mysql: { ...config.mysql, migrateOnStart: false } });
  const temporal = await connectClient(config, logger, 10_000);
  const gateway = new HttpPaymentGateway({
    baseUrl: config.payments.gatewayUrl,
    apiKey: config.payments.gatewayApiKey,
    timeoutMs: config.payments.gatewayTimeoutMs,
  });
  try {
    const report = await reconcilePayments(
      { db, temporal, gateway },
      { from, to },
      { dryRun: values['dry-run'] },
    );
    console.log(`Payments from ${from.toISOString()} to ${to.toISOString()}:`);
    console.log(`  gateway authorizations checked  ${report.checked}`);
    console.log(`  matching Troupe's payments      ${report.matching}`);
    console.log(
      `  ${values['dry-run'] ? 'would be settled' : 'settled (gateway view handed over)'}  ${report.settled.length}`,
    );
    for (const s of report.settled)
      console.log(`    ${s.paymentId}: Troupe ${s.troupe}, gateway ${s.gateway}`);
    console.log(`  unknown to Troupe               ${report.unknownToTroupe.length}`);
    for (const id of report.unknownToTroupe.slice(0, 20)) console.log(`    ${id}`);
    console.log(`  payment closed, not settled     ${report.closed.length}`);
    for (const s of report.closed)
      console.log(`    ${s.paymentId}: Troupe ${s.troupe}, gateway ${s.gateway}`);
    process.exitCode = report.closed.length > 0 ? 1 : 0;
  } finally {
    await temporal.connection.close();
    await db.destroy();
  }
});
