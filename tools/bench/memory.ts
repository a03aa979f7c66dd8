// `npm run bench -- --memory [--leads N] [--window S]`: the worker's resident memory with a backlog.
// N leads (default 2,000) are queued (lead rows and started workflows, no worker running), then one
// worker process starts and drains them for S seconds (default 90): RSS sampled every second (peak,
// end) and leads completed per second in that window, once per setting — the workflow cache bounded
// (WORKER_MAX_CACHED_WORKFLOWS) and unbounded (the SDK's default, sized from the heap).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { insertLead } from '../../api/leads/store';
import { connectClient } from '../../clients/temporal';
import { loadConfig } from '../../config';
import { createDb, type Db } from '../../db';
import { newLeadId } from '../../db/lead-ids';
import { prepareRunEnvironment } from '../../test/support/environment';
import { newLead } from '../../test/support/harness';
import { spawnWorker } from '../../test/support/processes';
import { startTroupeProcesses } from '../../test/support/troupe-processes';
import { LeadStatusAttribute, leadWorkflowId } from '../../workflows/lead/shared';
import { quiet } from './env';
import { round, runPool } from './stats';

export const MEMORY_SETTINGS = [
  { name: 'bounded', env: { WORKER_MAX_CACHED_WORKFLOWS: '200' } },
  { name: 'unbounded', env: {} },
] as const;

function rssMiB(pid: number | undefined): number | undefined {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export interface MemoryFigure {
  setting: string;
  env: Record<string, string>;
  leads: number;
  windowSeconds: number;
  rss: { startMiB: number; peakMiB: number; endMiB: number };
  completedInWindow: number;
  perSecond: number;
}

export async function memorySection(options: {
  leads: number;
  windowSeconds: number;
  log: (line: string) => void;
}): Promise<MemoryFigure[]> {
  const { leads, windowSeconds, log } = options;
  const { server, mysqlUrl } = await prepareRunEnvironment('troupe_bench_memory');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'troupe-bench-memory-'));
  const figures: MemoryFigure[] = [];
  try {
    for (const setting of MEMORY_SETTINGS) {
      const troupe = await startTroupeProcesses({
        temporalAddress: server.address,
        mysqlUrl,
        apis: 0,
        workers: 0,
        dataDir,
        env: { ...setting.env, LOG_LEVEL: 'warn' },
      });
      const config = loadConfig(troupe.env);
      const client = await connectClient(config, quiet);
      const db = createDb(mysqlUrl);
      try {
        log(`memory (${setting.name}): queueing ${leads} leads with no worker running`);
        await runPool(leads, 20, async () => {
          const body = newLead();
          const id = newLeadId();
          await insertLead(db, id, body);
          await client.workflow.start('leadWorkflow', {
            taskQueue: config.temporal.taskQueue,
            workflowId: leadWorkflowId(id),
            args: [{ id, ...body }],
            typedSearchAttributes: [{ key: LeadStatusAttribute, value: 'NEW' }],
          });
        });
        const before = await completed(db);
        log(`memory (${setting.name}): one worker drains them for ${windowSeconds} s`);
        const worker = await spawnWorker(troupe.env);
        troupe.workers.push(worker);
        const samples: number[] = [];
        const started = Date.now();
        while (Date.now() - started < windowSeconds * 1000) {
          const rss = rssMiB(worker.child.pid);
          if (rss !== undefined) samples.push(rss);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
        const done = (await completed(db)) - before;
        figures.push({
          setting: setting.name,
          env: { ...setting.env },
          leads,
          windowSeconds,
          rss: {
            startMiB: samples[0] ?? 0,
            peakMiB: Math.max(0, ...samples),
            endMiB: samples[samples.length - 1] ?? 0,
          },
          completedInWindow: done,
          perSecond: round(done / windowSeconds, 2),
        });
        log(`memory (${setting.name}): ${JSON.stringify(figures[figures.length - 1])}`);
      } finally {
        await client.connection.close();
        await db.destroy();
        await troupe.stop();
      }
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return figures;
}

async function completed(db: Db): Promise<number> {
  const row = await db
    .selectFrom('leads')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'COMPLETED')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
