// `npm run cluster:sizing`: how much one worker does on a self-hosted cluster, and who spends the CPU.
// Brings up the cluster (or uses TEMPORAL_ADDRESS), one API and SIZING_WORKERS workers (default 1),
// runs SIZING_LEADS leads (default 60) then SIZING_BOOKINGS bookings held and confirmed (default 40),
// each SIZING_CONCURRENCY at a time (default 10), and reports workflows per second and the CPU time of
// Temporal's processes, PostgreSQL, MySQL, the worker(s) and the API over the run (/proc, Linux only).
// With TEMPORAL_ADDRESS at a dev server (`temporal server start-dev`) it gives the same figures for it.
// Bounded in count and time; every process it starts is stopped at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../db';
import { prepareDatabase } from '../../test/support/environment';
import { eventually, http, newLead } from '../../test/support/harness';
import { createShow } from '../../test/support/inventory';
import { startTroupeProcesses } from '../../test/support/troupe-processes';
import { type ClusterState, clusterDownAndWait, clusterUp } from './cluster';

const count = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 1000) throw new Error(`${name} must be 1..1000`);
  return value;
};

const pgrep = (name: string) =>
  spawnSync('pgrep', ['-x', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function inBatches<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

async function main() {
  const leads = count('SIZING_LEADS', 60);
  const bookings = count('SIZING_BOOKINGS', 40);
  const concurrency = count('SIZING_CONCURRENCY', 10);
  const workerCount = count('SIZING_WORKERS', 1);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'troupe-sizing-'));
  const mysqlUrl = await prepareDatabase('troupe_sizing');
  let cluster: ClusterState | undefined;
  if (!process.env.TEMPORAL_ADDRESS) {
    cluster = await clusterUp({
      dataDir,
      database: 'troupe_sizing_temporal',
      visibilityDatabase: 'troupe_sizing_visibility',
      log: () => {},
    });
  }
  const address = process.env.TEMPORAL_ADDRESS ?? cluster?.address ?? '';
  const troupe = await startTroupeProcesses({
    temporalAddress: address,
    mysqlUrl,
    apis: 1,
    workers: workerCount,
    dataDir,
  });
  const api = troupe.apis[0]?.url ?? '';
  try {
    const groups: Record<string, () => number[]> = {
      // Our cluster's service processes; with TEMPORAL_ADDRESS, any local dev server (`temporal`) or server.
      temporal: () =>
        cluster
          ? Object.values(cluster.pids).filter((p): p is number => Boolean(p))
          : [...pgrep('temporal'), ...pgrep('temporal-server')],
      postgresql: () => pgrep('postgres'),
      mysql: () => [...pgrep('mariadbd'), ...pgrep('mysqld')],
      workers: () => troupe.workers.flatMap((w) => (w?.child.pid ? [w.child.pid] : [])),
      api: () => troupe.apis.flatMap((a) => (a.part.child.pid ? [a.part.child.pid] : [])),
    };
    const sample = () =>
      Object.fromEntries(
        Object.entries(groups).map(([name, pids]) => [
          name,
          pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0),
        ]),
      );

    const before = sample();
    const leadsStart = Date.now();
    await inBatches(
      Array.from({ length: leads }, () => newLead()),
      concurrency,
      async (body) => {
        const created = await http(`${api}/api/v1/leads`, { body });
        if (created.status !== 202) throw new Error(`POST /leads answered ${created.status}`);
        await eventually(
          async () => {
            const status = (await http(`${api}/api/v1/leads/${created.body.id}`)).body.status;
            if (status !== 'COMPLETED') throw new Error(`lead ${created.body.id} is ${status}`);
          },
          120_000,
          100,
        );
      },
    );
    const leadsSeconds = (Date.now() - leadsStart) / 1000;

    const db = createDb(mysqlUrl);
    const showId = await createShow(db);
    await db.destroy();
    const seats = (await http(`${api}/api/v1/shows/${showId}/seats`)).body.seats
      .map((s: { id: string }) => s.id)
      .slice(0, bookings) as string[];
    const bookingsStart = Date.now();
    await inBatches(seats, concurrency, async (seat) => {
      const held = await http(`${api}/api/v1/bookings`, {
        body: { showId, seatIds: [seat], customer: { name: 'Sizing', email: 'sizing@troupe.test' } },
      });
      if (held.status !== 201) throw new Error(`POST /bookings answered ${held.status}`);
      const confirmed = await http(`${api}/api/v1/bookings/${held.body.id}/confirm`, {
        body: { paymentMethod: 'pm_card_visa' },
      });
      if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
    });
    const bookingsSeconds = (Date.now() - bookingsStart) / 1000;
    const after = sample();

    const used = Object.fromEntries(Object.keys(groups).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
    const total = Object.values(used).reduce((a, b) => a + b, 0);
    const wall = leadsSeconds + bookingsSeconds;
    console.log(
      `\nCluster sizing (${os.cpus().length} cores, ${workerCount} worker${workerCount > 1 ? 's' : ''}, ` +
        `${cluster ? (cluster.allInOne ? 'all-in-one' : 'a process per service') : address}, load ${os.loadavg()[0]?.toFixed(2)})`,
    );
    console.log(
      `  leads:    ${leads} in ${leadsSeconds.toFixed(1)} s = ${(leads / leadsSeconds).toFixed(2)} /s`,
    );
    console.log(
      `  bookings: ${seats.length} held+confirmed in ${bookingsSeconds.toFixed(1)} s = ${(seats.length / bookingsSeconds).toFixed(2)} /s`,
    );
    console.log(`  CPU over ${wall.toFixed(1)} s (share of all CPU the stack used):`);
    for (const [name, seconds] of Object.entries(used)) {
      console.log(
        `    ${name.padEnd(10)} ${seconds.toFixed(1).padStart(6)} s  ${((100 * seconds) / (total || 1)).toFixed(0).padStart(3)} %  ` +
          `(${((100 * seconds) / wall).toFixed(0)} % of one core)`,
      );
    }
  } finally {
    await troupe.stop();
    if (cluster) await clusterDownAndWait(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
