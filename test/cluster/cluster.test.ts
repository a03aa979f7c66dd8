// Troupe against a real self-hosted Temporal cluster (`npm run test:cluster`, not part of `npm test`):
// the server built from Go on PostgreSQL (tools/cluster), its frontend, history, matching and worker
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
import { reconcile, type StartedWorkflow } from '../../tools/chaos/reconcile';
import {
  type ClusterState,
  clusterDownAndWait,
  clusterUp,
  killService,
  restartService,
  type Service,
} from '../../tools/cluster/cluster';
import { prepareDatabase } from '../support/environment';
import { eventually, http, newLead } from '../support/harness';
import { createShow } from '../support/inventory';
import { startTroupeProcesses, type TroupeProcesses } from '../support/troupe-processes';

const suffix = process.env.TEST_DB_SUFFIX ?? '';
const reuse = process.env.TEMPORAL_ADDRESS;
const customer = { name: 'Cluster', email: 'cluster@troupe.test' };

describe('Troupe on a self-hosted Temporal cluster (PostgreSQL, one process per service)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'troupe-cluster-'));
  let cluster: ClusterState | undefined;
  let mysqlUrl = '';
  let troupe: TroupeProcesses;
  let client: Client;
  const db = () => createDb(mysqlUrl);
  const started: StartedWorkflow[] = [];
  const api = (i: number) => troupe.apis[i % troupe.apis.length]?.url ?? '';

  beforeAll(async () => {
    mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_cluster`);
    if (!reuse) {
      cluster = await clusterUp({
        dataDir,
        database: `troupe_cluster_temporal${suffix}`,
        visibilityDatabase: `troupe_cluster_visibility${suffix}`,
        log: () => {},
      });
    }
    const address = reuse ?? cluster?.address ?? '';
    troupe = await startTroupeProcesses({ temporalAddress: address, mysqlUrl, apis: 2, workers: 3, dataDir });
    client = troupeClient(await Connection.connect({ address }), loadConfig(troupe.env));
  }, 300_000);

  afterAll(async () => {
    await troupe?.stop();
    await client?.connection.close();
    if (cluster) await clusterDownAndWait(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('both APIs are live and ready: Temporal, MySQL and a worker polling the task queue on the cluster', async () => {
    for (const { url } of troupe.apis) {
      expect((await http(`${url}/healthz`)).body).toEqual({ status: 'ok' });
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
    const replay = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'tools/replay/replay.ts', '--limit', '20'],
      {
        cwd: path.resolve(__dirname, '../..'),
        env: { ...process.env, ...troupe.env, LOG_LEVEL: 'warn' },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect({ status: replay.status, out: replay.stdout + replay.stderr }).toMatchObject({ status: 0 });
  }, 150_000);

  const killAndRestart = async (what: Service | 'worker-process') => {
    if (what === 'worker-process') await troupe.replaceWorker(2, 2_000);
    else {
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
              mailFrom: troupe.env.MAIL_FROM ?? '',
              receivedMessageIds: troupe.smtp.received.map((m) => m.messageId),
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
          unexplainedDuplicateEmails: 0,
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
