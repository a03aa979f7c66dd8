import { createServer, type Server, type Socket } from 'node:net';
import { Connection } from '@temporalio/client';
import { troupeClient } from '../../clients/temporal';
import { loadConfig } from '../../config';
import { createDb, type Db } from '../../db';
import { holdSeats, releasePendingHold } from '../../db/seat-holds';
import { startHoldRelay } from '../../worker/hold-relay';
import { bookingWorkflowId } from '../../workflows/booking/shared';
import { prepareDatabase } from '../support/environment';
import { silentLogger, testEnv } from '../support/harness';
import { createShow } from '../support/inventory';

// A Temporal server that accepts connections and never answers: what a wedged frontend, a black-holed
// network or a stopped VM looks like to a client.
async function blackHole(): Promise<{ address: string; close(): void }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('the seat hold relay while Temporal hangs', () => {
  let db: Db;
  // A database of its own: other test files' relays take any PENDING hold in theirs.
  beforeAll(async () => {
    db = createDb(await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_relay`));
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('bounds each pass, never stacks passes, and stops within seconds', async () => {
    const hole = await blackHole();
    const config = loadConfig(testEnv({ TEMPORAL_ADDRESS: hole.address }));
    const temporal = troupeClient(Connection.lazy({ address: hole.address }), config);
    const showId = await createShow(db);
    const bookingId = `bk_${Date.now().toString(16).padStart(24, '0').slice(-24)}`;
    await holdSeats(db, {
      bookingId,
      workflowId: bookingWorkflowId(bookingId),
      showId,
      seatIds: ['E1'],
      customer: { name: 'Relay', email: 'relay@troupe.test' },
      holdExpiresAt: new Date(Date.now() + 600_000).toISOString(),
      status: 'PENDING',
    });
    const warnings: unknown[] = [];
    const logger = Object.assign(Object.create(silentLogger), {
      warn: (fields: { bookingId?: string }) => warnings.push(fields.bookingId ?? fields),
    });
    const relay = startHoldRelay(
      { db, temporal, taskQueue: config.temporal.taskQueue, holdSeconds: 600, logger },
      { everyMs: 100, olderThanMs: 0, passDeadlineMs: 1_000 },
    );
    try {
      // Each pass gives up on the hung start after its deadline and tries again on a later tick.
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      const mine = warnings.filter((w) => JSON.stringify(w).includes(bookingId));
      expect(mine.length).toBeGreaterThanOrEqual(2);
      expect(mine.length).toBeLessThanOrEqual(4);
      const stopping = Date.now();
      await relay.stop();
      expect(Date.now() - stopping).toBeLessThan(6_000);
      // The hold is left for the next relay (or its expiry): nothing was released or lost.
      const row = await db
        .selectFrom('bookings')
        .select('status')
        .where('id', '=', bookingId)
        .executeTakeFirst();
      expect(row?.status).toBe('PENDING');
    } finally {
      await releasePendingHold(db, bookingId, { drop: true });
      hole.close();
      await temporal.connection.close().catch(() => undefined);
    }
  }, 30_000);
});
