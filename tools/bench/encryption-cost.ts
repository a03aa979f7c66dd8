// `npm run bench:encryption`: what payload encryption costs a lead, end to end (POST → COMPLETED,
// Tavily/Groq/SMTP stand-ins). Two Troupes in one process against one in-memory dev server, one with
// PAYLOAD_ENCRYPTION=on and one with off, measured alternately so drift hits both alike.
// Options: BENCH_LEADS (per mode, default 20).

import { prepareRunEnvironment } from '../../test/support/environment';
import { groqStandIn } from '../../test/support/groq';
import { eventually, http, newLead, startTroupe, type Troupe } from '../../test/support/harness';
import { SmtpSink } from '../../test/support/smtp-sink';
import { standInEnv } from '../../test/support/stand-in-env';
import { tavilyStandIn } from '../../test/support/tavily';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function leadTime(troupe: Troupe): Promise<number> {
  const started = performance.now();
  const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
  await eventually(
    async () => {
      const got = await http(`${troupe.url}/api/v1/leads/${created.body.id}`);
      if (got.body.status !== 'COMPLETED') throw new Error(got.body.status);
    },
    60_000,
    10,
  );
  return performance.now() - started;
}

async function main() {
  const leads = Number(process.env.BENCH_LEADS ?? 20);
  if (!Number.isInteger(leads) || leads < 1 || leads > 500) throw new Error('BENCH_LEADS must be 1..500');
  const { server } = await prepareRunEnvironment('troupe_bench_encryption');
  const [tavily, groq, smtp] = await Promise.all([
    tavilyStandIn().start(),
    groqStandIn().start(),
    new SmtpSink().start(),
  ]);
  const env = standInEnv({ tavily, groq, smtp });
  const modes = {
    on: await startTroupe({ env: { ...env, PAYLOAD_ENCRYPTION: 'on' } }),
    off: await startTroupe({ env: { ...env, PAYLOAD_ENCRYPTION: 'off' } }),
  };
  const times: Record<keyof typeof modes, number[]> = { on: [], off: [] };
  try {
    await leadTime(modes.on); // warm-up, both
    await leadTime(modes.off);
    for (let i = 0; i < leads; i++) {
      for (const mode of i % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        times[mode].push(await leadTime(modes[mode]));
      }
    }
  } finally {
    await Promise.all([modes.on.stop(), modes.off.stop()]);
    await Promise.all([tavily.stop(), groq.stop(), smtp.stop()]);
    await server.stop();
  }
  const on = median(times.on);
  const off = median(times.off);
  console.log(`Lead end to end, ${leads} per mode, alternating (median):`);
  console.log(`  encryption on  ${on.toFixed(0)} ms`);
  console.log(`  encryption off ${off.toFixed(0)} ms`);
  console.log(`  on / off = ${(on / off).toFixed(3)}`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
