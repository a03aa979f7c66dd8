// Troupe against a real self-hosted Temporal cluster (`npm run test:cluster`, not part of `npm test`):
// the server built from Go on PostgreSQL (scripts/cluster), its frontend, history, matching and worker
// services as separate processes, two API processes and three workers. With TEMPORAL_ADDRESS set the
// cluster there is used instead, and the tests that kill Temporal services are skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Client, Connection } from '@temporalio/client';
import { troupeClient } from '../../clients/temporal';
import { loadConfig } from '../../config';
import { createDb } from '../../db';
import type { Database } from '../../db/schema';
import type { GatewayDatabase } from '../../gateway/schema';
import { reconcile, type StartedWorkflow } from '../../scripts/chaos/reconcile';
import {
  type ClusterState,
  clusterDownAndWait,
  clusterUp,
  killService,
  restartService,
  type Service,
} from '../../scripts/cluster/cluster';
import { TEST_PAYLOAD_KEYS } from '../support/encryption';
import { prepareDatabase } from '../support/environment';
import { GROQ_KEY, groqStandIn } from '../support/groq';
import { eventually, http, newLead } from '../support/harness';
import { createShow } from '../support/inventory';
import { freePort } from '../support/ports';
import { type Part, spawnPart, spawnWorker } from '../support/processes';
import { SmtpSink } from '../support/smtp-sink';
import { TAVILY_KEY, tavilyStandIn } from '../support/tavily';

const GATEWAY_KEY = 'sk_test_troupe_sandbox';
const suffix = process.env.TEST_DB_SUFFIX ?? '';
const reuse = process.env.TEMPORAL_ADDRESS;
const customer = { name: 'Cluster', email: 'cluster@troupe.test' };

describe('Troupe on a self-hosted Temporal cluster (PostgreSQL, one process per service)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'troupe-cluster-'));
  const smtp = new SmtpSink();
  const groq = groqStandIn();
  const tavily = tavilyStandIn();
  let cluster: ClusterState | undefined;
  let address = '';
  let mysqlUrl = '';
  let gateway: Part;
  const apis: { part: Part; url: string }[] = [];
  const workers: (Part | undefined)[] = [];
  let env: Record<string, string> = {};
  let client: Client;
  const db = () => createDb(mysqlUrl);
  const started: StartedWorkflow[] = [];
  const api = (i: number) => apis[i % apis.length]?.url ?? '';

  beforeAll(async () => {
    mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_cluster`);
    await Promise.all([smtp.start(), groq.start(), tavily.start()]);
    if (reuse) address = reuse;
    else {
      cluster = await clusterUp({
        dataDir,
        database: `troupe_cluster_temporal${suffix}`,
        visibilityDatabase: `troupe_cluster_visibility${suffix}`,
        log: () => {},
      });
      address = cluster.address;
    }
    const gatewayPort = await freePort();
    gateway = await spawnPart(
      'gateway/main.ts',
      { MYSQL_URL: mysqlUrl, SANDBOX_GATEWAY_PORT: String(gatewayPort), NODE_ENV: 'development' },
      /Sandbox payment gateway listening/,
    );
    env = {
      NODE_ENV: 'development',
      MYSQL_URL: mysqlUrl,
      MIGRATE_ON_START: 'false',
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: `cluster-${Date.now()}`,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Troupe <troupe@cluster.test>',
      LEAD_REPORT_TO: 'sales@cluster.test',
      PAYMENT_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
      PAYMENT_GATEWAY_API_KEY: GATEWAY_KEY,
      GROQ_API_KEY: GROQ_KEY,
      GROQ_BASE_URL: groq.url,
      TAVILY_API_KEY: TAVILY_KEY,
      TAVILY_BASE_URL: tavily.url,
      GROQ_MAX_REQUESTS_PER_SECOND: '1000',
      RATE_LIMIT_PER_MINUTE: '1000000',
      SHUTDOWN_GRACE_SECONDS: '5',
      PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_KEYS,
      DATA_DIR: dataDir,
    };
    // The first worker builds the workflow bundle (cached by source hash); the others load it.
    for (let i = 0; i < 3; i++) workers[i] = await spawnWorker(env);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      apis.push({
        part: await spawnPart('api/main.ts', { ...env, PORT: String(port) }, /listening/i),
        url: `http://127.0.0.1:${port}`,
      });
    }
    client = troupeClient(await Connection.connect({ address }), loadConfig(env));
  }, 300_000);

  afterAll(async () => {
    const parts = [...apis.map((a) => a.part), ...workers, gateway].filter((p): p is Part => Boolean(p));
    for (const part of parts) part.child.kill('SIGKILL');
    await Promise.all(parts.map((p) => p.exited));
    await client?.connection.close();
    if (cluster) await clusterDownAndWait(dataDir);
    await Promise.all([smtp.stop(), groq.stop(), tavily.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('both APIs are ready: Temporal, MySQL and a worker polling the task queue on the cluster', async () => {
    for (const { url } of apis) {
      const ready = await eventually(async () => {
        const r = await http(`${url}/readyz`);
        expect(r.status).toBe(200);
        return r;
      });
      expect(ready.body.status).toBe('ready');
    }
  });

  it("registers Troupe's search attributes on the cluster", async () => {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    expect(Object.keys(customAttributes ?? {})).toEqual(
      expect.arrayContaining(['LeadStatus', 'BookingStatus', 'PaymentStatus']),
    );
  });

  it('a lead posted to one API is read, completed, from the other, and found by its search attribute', async () => {
    const created = await http(`${api(0)}/api/v1/leads`, { body: newLead() });
    expect(created.status).toBe(202);
    started.push({ kind: 'lead', id: created.body.id, acknowledged: true });
    await eventually(async () => {
      expect((await http(`${api(1)}/api/v1/leads/${created.body.id}`)).body.status).toBe('COMPLETED');
    }, 60_000);
    // SQL visibility answers List queries on custom Keyword attributes (after the visibility task runs).
    await eventually(async () => {
      const found = [];
      for await (const w of client.workflow.list({ query: `LeadStatus = "COMPLETED"` }))
        found.push(w.workflowId);
      expect(found.length).toBeGreaterThan(0);
    });
  }, 90_000);

  it('50 bookings for one seat over both APIs: exactly one winner, no seat held twice', async () => {
    const database = db();
    try {
      const showId = await createShow(database);
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          http(`${api(i)}/api/v1/bookings`, { body: { showId, seatIds: ['G7'], customer } }),
        ),
      );
      const won = responses.filter((r) => r.status === 201);
      expect(won).toHaveLength(1);
      expect(responses.filter((r) => r.status === 409)).toHaveLength(49);
      const holds = await database
        .selectFrom('seat_holds')
        .select(['seat_label', 'booking_id'])
        .where('show_id', '=', showId)
        .execute();
      expect(holds).toEqual([{ seat_label: 'G7', booking_id: won[0]?.body.id }]);
      started.push({ kind: 'booking', id: won[0]?.body.id, acknowledged: true });

      // Held through one API, confirmed through the other.
      const confirmed = await http(`${api(1)}/api/v1/bookings/${won[0]?.body.id}/confirm`, {
        body: { paymentMethod: 'pm_card_visa' },
      });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({ status: 'CONFIRMED', payment: { status: 'CAPTURED' } });
    } finally {
      await database.destroy();
    }
  }, 120_000);

  it('histories fetched from the cluster replay against the current workflow code (npm run replay)', () => {
    const replay = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/replay.ts', '--limit', '20'], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: replay.status, out: replay.stdout + replay.stderr }).toMatchObject({ status: 0 });
  }, 150_000);

  const killAndRestart = async (what: Service | 'worker-process') => {
    if (what === 'worker-process') {
      const worker = workers[2];
      worker?.child.kill('SIGKILL');
      await worker?.exited;
      await new Promise((r) => setTimeout(r, 2_000));
      workers[2] = await spawnWorker(env);
    } else {
      killService(dataDir, what);
      await new Promise((r) => setTimeout(r, 3_000));
      restartService(dataDir, what);
    }
  };

  (reuse ? it.skip : it)(
    'history, matching and a worker killed mid-flight and restarted: every workflow finishes, nothing lost or doubled',
    async () => {
      const showId = await (async () => {
        const database = db();
        try {
          return await createShow(database);
        } finally {
          await database.destroy();
        }
      })();
      const inFlight: Promise<void>[] = [];
      const startSome = (round: number) => {
        for (let i = 0; i < 4; i++) {
          inFlight.push(
            (async () => {
              const created = await eventually(
                async () => {
                  const r = await http(`${api(i)}/api/v1/leads`, { body: newLead() });
                  expect(r.status).toBe(202);
                  return r;
                },
                60_000,
                1_000,
              );
              started.push({ kind: 'lead', id: created.body.id, acknowledged: true });
            })(),
          );
          const seat = `${round % 2 === 0 ? 'H' : 'J'}${Math.floor(round / 2) * 4 + i + 1}`;
          inFlight.push(
            (async () => {
              const held = await eventually(
                async () => {
                  const r = await http(`${api(i + 1)}/api/v1/bookings`, {
                    body: { showId, seatIds: [seat], customer },
                  });
                  expect(r.status).toBe(201);
                  return r;
                },
                60_000,
                1_000,
              );
              started.push({ kind: 'booking', id: held.body.id, acknowledged: true });
              await eventually(
                async () => {
                  const r = await http(`${api(i)}/api/v1/bookings/${held.body.id}/confirm`, {
                    body: { paymentMethod: 'pm_card_visa' },
                  });
                  expect(r.status).toBe(200);
                },
                90_000,
                1_000,
              );
            })(),
          );
        }
      };
      let round = 0;
      for (const what of ['history', 'matching', 'worker-process'] as const) {
        startSome(round++);
        await killAndRestart(what);
      }
      startSome(round++);
      await Promise.all(inFlight);

      const database = createDb<Database & GatewayDatabase>(mysqlUrl);
      try {
        const result = await eventually(
          async () => {
            const r = await reconcile({
              db: database,
              temporal: client,
              started,
              mailFrom: env.MAIL_FROM ?? '',
              receivedMessageIds: smtp.received.map((m) => m.messageId),
            });
            expect(r).toMatchObject({ lost: 0, stuck: 0 });
            return r;
          },
          120_000,
          2_000,
        );
        expect(result.problems).toEqual([]);
        expect(result).toMatchObject({
          temporalMysqlDisagreeing: 0,
          duplicateReportEmails: 0,
          duplicateCaptures: 0,
          seatsHeldByTwoBookings: 0,
          ledgerMysqlDisagreeing: 0,
        });
        expect(result.completed).toBe(started.length);
      } finally {
        await database.destroy();
      }
    },
    360_000,
  );
});
