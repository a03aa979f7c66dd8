// `npm run bench -- --peer`: the same leads through Troupe and through the peer (the seeds' design, a
// BullMQ job queue on Redis), first with no faults, then with 3 worker SIGKILLs and a 10 s MySQL cut.
// Both run as production does, each part its own OS process (2 workers and an API per system), on the
// chaos stack: MySQL, SMTP, Groq and Tavily reached through Toxiproxy, so the cut is a real TCP cut.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { connectClient } from '../../../clients/temporal';
import { loadConfig } from '../../../config';
import { createDb, type Db } from '../../../db';
import { prepareDatabase } from '../../../test/support/environment';
import { freePort } from '../../../test/support/ports';
import { type Part, spawnPart } from '../../../test/support/processes';
import { leadWorkflowId } from '../../../workflows/lead/shared';
import { applyFault } from '../../chaos/faults';
import { Stack } from '../../chaos/processes';
import { quiet } from '../env';
import { type RunFigures, type RunPlan, runLeads, type System } from './run';
import { PEER_QUEUE, peerRedis } from './shared';

const WORKERS = 2;
const KILL_DOWN_MS = 2_000;
const MYSQL_CUT_MS = 10_000;
/** First workflow tasks load the bundle, first jobs open pools: neither system is measured cold. */
const WARM_UP: RunPlan = { leads: 10, concurrency: 5, settleMs: 60_000 };

export interface PeerComparison {
  leads: number;
  workers: number;
  calm: { troupe: RunFigures; peer: RunFigures };
  faults: { troupe: RunFigures; peer: RunFigures; plan: string };
  ratio: { perSecond: number | null };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 3 kills (worker 0, 1, 0; each down 2 s) and one 10 s MySQL cut, spread over the posting. */
function faultPlan(stack: Stack, kill: (index: number) => Promise<void>, spanMs: number) {
  return async () => {
    const at = (fraction: number) => sleep(fraction * spanMs);
    await Promise.all([
      at(0.1).then(() => kill(0)),
      at(0.2).then(() =>
        applyFault(stack, { kind: 'mysql', target: 'mysql', at: 0, forMs: MYSQL_CUT_MS }, () => undefined),
      ),
      at(0.45).then(() => kill(1)),
      at(0.8).then(() => kill(0)),
    ]);
  };
}

/** Polls until `ready` holds, for at most 2 minutes. */
async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!ready() && Date.now() < deadline) await sleep(200);
}

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

async function stopPart(part: Part | undefined) {
  if (!part || part.child.exitCode !== null || part.child.signalCode !== null) return;
  part.child.kill('SIGTERM');
  const timer = setTimeout(() => part.child.kill('SIGKILL'), 10_000);
  await part.exited;
  clearTimeout(timer);
}

export async function peerSection(options: {
  leads: number;
  log: (line: string) => void;
  redisUrl?: string;
}): Promise<PeerComparison> {
  const { leads, log } = options;
  const redisUrl = options.redisUrl ?? process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const troupeDatabase = 'troupe_bench_peer_troupe';
  const peerDatabase = 'troupe_bench_peer_bullmq';
  const troupeUrl = await prepareDatabase(troupeDatabase);
  const peerUrl = await prepareDatabase(peerDatabase);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'troupe-bench-peer-'));
  const stack = new Stack({
    database: troupeDatabase,
    mysqlUrl: troupeUrl,
    workers: WORKERS,
    holdSeconds: 30,
    dataDir,
    log,
    temporalInMemory: true,
  });
  const prefix = `troupe-bench-peer-${process.pid}-${Date.now().toString(36)}`;
  const redis = peerRedis(redisUrl);
  const queue = new Queue(PEER_QUEUE, { connection: redis, prefix });
  const dbs: Db[] = [createDb(troupeUrl), createDb(peerUrl)];
  const peerParts: { api?: Part; workers: (Part | undefined)[] } = { workers: [] };
  const plans = (kill: (index: number) => Promise<void>) => {
    const calm: RunPlan = { leads, concurrency: 20, settleMs: 90_000 };
    const perSecond = 10;
    const span = (leads / perSecond) * 1000;
    return {
      calm,
      faults: { leads, concurrency: 20, perSecond, settleMs: 150_000, faults: faultPlan(stack, kill, span) },
    };
  };
  try {
    log('peer: starting Troupe (Temporal dev server, Toxiproxy, 2 workers, API)');
    await stack.start();
    const config = loadConfig(stack.troupeEnv());
    const mailFrom = config.mail.from;
    const temporal = await connectClient(config, quiet);
    const troupe: System = {
      name: 'Troupe',
      postUrl: `${stack.apiUrl}/api/v1/leads`,
      db: dbs[0] as Db,
      mailFrom,
      smtp: stack.smtp,
      groq: stack.groq,
      async stillScheduled(ids) {
        const running = new Set<string>();
        for (const id of ids) {
          const d = await temporal.workflow
            .getHandle(leadWorkflowId(id))
            .describe()
            .catch(() => undefined);
          if (d?.status.name === 'RUNNING') running.add(id);
        }
        return running;
      },
    };
    const killTroupe = async (index: number) => {
      // On a loaded machine a restart may still be under way: a kill waits for a worker to be up.
      await until(() => stack.workers.some((w) => w !== undefined));
      await applyFault(stack, { kind: 'kill', target: `worker-${index}`, at: 0, forMs: KILL_DOWN_MS }, log);
    };
    const troupePlans = plans(killTroupe);
    log('peer: Troupe warm-up (10 leads, not counted)');
    await runLeads(troupe, WARM_UP);
    log(`peer: Troupe, ${leads} leads, no faults`);
    const troupeCalm = await runLeads(troupe, troupePlans.calm);
    log(`peer: Troupe, ${leads} leads, 3 worker kills and a ${MYSQL_CUT_MS / 1000} s MySQL cut`);
    const troupeFaults = await runLeads(troupe, troupePlans.faults);
    await temporal.connection.close();
    // Troupe's processes stop before the peer's start: each system has the machine to itself.
    await Promise.all([stopPart(stack.api), ...stack.workers.map(stopPart)]);

    const peerEnv = {
      ...stack.troupeEnv(),
      MYSQL_URL: withDatabase(stack.troupeMysqlUrl(), peerDatabase),
      REDIS_URL: redisUrl,
      PEER_PREFIX: prefix,
    };
    const spawnPeerWorker = () => spawnPart('tools/bench/peer/worker.ts', peerEnv, /Peer worker polling/);
    log('peer: starting the BullMQ peer (2 workers, API)');
    for (let i = 0; i < WORKERS; i++) peerParts.workers[i] = await spawnPeerWorker();
    const peerPort = await freePort();
    peerParts.api = await spawnPart(
      'tools/bench/peer/api.ts',
      { ...peerEnv, PORT: String(peerPort) },
      /Peer API listening/,
    );
    const peer: System = {
      name: 'Peer',
      postUrl: `http://127.0.0.1:${peerPort}/leads`,
      db: dbs[1] as Db,
      mailFrom,
      smtp: stack.smtp,
      groq: stack.groq,
      async stillScheduled(ids) {
        const pending = new Set<string>();
        for (const id of ids) {
          const state = await queue.getJobState(`lead-${id}`);
          if (['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'].includes(state))
            pending.add(id);
        }
        return pending;
      },
    };
    const killPeer = async (index: number) => {
      await until(() => peerParts.workers.some((w) => w !== undefined));
      const i = peerParts.workers[index] ? index : peerParts.workers.findIndex((w) => w !== undefined);
      const worker = peerParts.workers[i];
      peerParts.workers[i] = undefined;
      log(`fault: kill peer worker-${i} for ${KILL_DOWN_MS / 1000} s`);
      worker?.child.kill('SIGKILL');
      await worker?.exited;
      await sleep(KILL_DOWN_MS);
      peerParts.workers[i] = await spawnPeerWorker();
    };
    const peerPlans = plans(killPeer);
    log('peer: BullMQ warm-up (10 leads, not counted)');
    await runLeads(peer, WARM_UP);
    log(`peer: BullMQ, ${leads} leads, no faults`);
    const peerCalm = await runLeads(peer, peerPlans.calm);
    log(`peer: BullMQ, ${leads} leads, 3 worker kills and a ${MYSQL_CUT_MS / 1000} s MySQL cut`);
    const peerFaults = await runLeads(peer, peerPlans.faults);
    return {
      leads,
      workers: WORKERS,
      calm: { troupe: troupeCalm, peer: peerCalm },
      faults: {
        troupe: troupeFaults,
        peer: peerFaults,
        plan: `SIGKILL worker 0, 1, 0 (each down ${KILL_DOWN_MS / 1000} s) at 10/45/80 % of the posting; MySQL cut ${MYSQL_CUT_MS / 1000} s at 20 %`,
      },
      ratio: {
        perSecond:
          peerCalm.perSecond > 0 ? Math.round((troupeCalm.perSecond / peerCalm.perSecond) * 100) / 100 : null,
      },
    };
  } finally {
    await Promise.all([stopPart(peerParts.api), ...peerParts.workers.map(stopPart)]);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    // Anything left under the run's prefix (obliterate leaves the meta keys of an empty queue).
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
      if ((keys as string[]).length) await redis.del(...(keys as string[]));
    }
    await redis.quit();
    await stack.stop();
    await Promise.all(dbs.map((db) => db.destroy()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The side-by-side table, as the README shows it. */
export function peerRows(c: PeerComparison): string[][] {
  const { calm, faults } = c;
  return [
    ['figure', 'Troupe', 'peer (BullMQ)', 'Troupe ÷ peer'],
    [
      `${c.leads} leads, no faults: leads/s`,
      `${calm.troupe.perSecond}`,
      `${calm.peer.perSecond}`,
      `${c.ratio.perSecond}`,
    ],
    [
      'POST→COMPLETED p50 / p99 ms',
      `${calm.troupe.p50} / ${calm.troupe.p99}`,
      `${calm.peer.p50} / ${calm.peer.p99}`,
      '',
    ],
    [
      'completed (of accepted)',
      `${calm.troupe.completed}/${calm.troupe.accepted}`,
      `${calm.peer.completed}/${calm.peer.accepted}`,
      '',
    ],
    [
      `with faults: completed (of accepted)`,
      `${faults.troupe.completed}/${faults.troupe.accepted}`,
      `${faults.peer.completed}/${faults.peer.accepted}`,
      '',
    ],
    ['with faults: leads/s', `${faults.troupe.perSecond}`, `${faults.peer.perSecond}`, ''],
    [
      'with faults: POST→COMPLETED p50 / p99 ms',
      `${faults.troupe.p50} / ${faults.troupe.p99}`,
      `${faults.peer.p50} / ${faults.peer.p99}`,
      '',
    ],
    ['with faults: lost leads', `${faults.troupe.lost}`, `${faults.peer.lost}`, ''],
    ['with faults: leads stuck (still scheduled)', `${faults.troupe.stuck}`, `${faults.peer.stuck}`, ''],
    ['with faults: leads FAILED', `${faults.troupe.failed}`, `${faults.peer.failed}`, ''],
    [
      'with faults: duplicate report emails',
      `${faults.troupe.duplicateReportEmails}`,
      `${faults.peer.duplicateReportEmails}`,
      '',
    ],
    [
      'with faults: duplicate LLM calls',
      `${faults.troupe.duplicateLlmCalls}`,
      `${faults.peer.duplicateLlmCalls}`,
      '',
    ],
    [
      'no faults: duplicate emails / LLM calls',
      `${calm.troupe.duplicateReportEmails} / ${calm.troupe.duplicateLlmCalls}`,
      `${calm.peer.duplicateReportEmails} / ${calm.peer.duplicateLlmCalls}`,
      '',
    ],
  ];
}
