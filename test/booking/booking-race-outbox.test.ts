import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { holdSeats } from '../../db/seat-holds';
import { relayPendingHolds } from '../../worker/hold-relay';
import { bookingStateQuery, bookingWorkflowId } from '../../workflows/booking/shared';
import { http, silentLogger, startTroupe, type Troupe } from '../support/harness';
import { createShow } from '../support/inventory';

const customer = { name: 'Grace Hopper', email: 'grace@troupe.test' };

describe('the seat race is decided in MySQL; the outbox relay finishes what a dead API left', () => {
  let troupe: Troupe;

  beforeAll(async () => {
    troupe = await startTroupe();
  });
  afterAll(async () => {
    await troupe?.stop();
  });

  const relayDeps = () => ({
    db: troupe.db,
    temporal: troupe.client,
    taskQueue: troupe.config.temporal.taskQueue,
    holdSeconds: troupe.config.bookings.holdSeconds,
    logger: silentLogger,
  });
  const holdsOf = (showId: number) =>
    troupe.db
      .selectFrom('seat_holds')
      .select(['seat_label', 'booking_id'])
      .where('show_id', '=', showId)
      .execute();
  const statusOf = async (id: string) =>
    (await troupe.db.selectFrom('bookings').select('status').where('id', '=', id).executeTakeFirst())?.status;
  const workflowExists = async (bookingId: string) => {
    try {
      await troupe.client.workflow.getHandle(bookingWorkflowId(bookingId)).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };
  /** What POST /bookings commits before it starts the workflow: a PENDING hold. */
  const commitPendingHold = async (showId: number, seatIds: string[], holdExpiresAt: Date) => {
    const bookingId = `bk_${randomBytes(12).toString('hex')}`;
    const hold = await holdSeats(troupe.db, {
      bookingId,
      workflowId: bookingWorkflowId(bookingId),
      showId,
      seatIds,
      customer,
      holdExpiresAt: holdExpiresAt.toISOString(),
      status: 'PENDING',
    });
    expect(hold.outcome).toBe('held');
    return bookingId;
  };

  it('losers of a race get 409 and start no workflow; the winner has one', async () => {
    const showId = await createShow(troupe.db);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () =>
        http(`${troupe.url}/api/v1/bookings`, { body: { showId, seatIds: ['B3'], customer } }),
      ),
    );
    const won = responses.filter((r) => r.status === 201);
    expect(won).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(11);
    expect(won[0]?.body.status).toBe('RESERVED');
    expect(await workflowExists(won[0]?.body.id)).toBe(true);

    const losers = await troupe.db
      .selectFrom('bookings')
      .select('id')
      .where('show_id', '=', showId)
      .where('status', '=', 'REJECTED')
      .execute();
    expect(losers).toHaveLength(11);
    for (const loser of losers) expect(await workflowExists(loser.id)).toBe(false);
  }, 60_000);

  it('an API that died between commit and start: the relay starts the workflow and the hold is RESERVED', async () => {
    const showId = await createShow(troupe.db);
    const bookingId = await commitPendingHold(showId, ['C1', 'C2'], new Date(Date.now() + 600_000));
    expect(await workflowExists(bookingId)).toBe(false);
    // A fresh PENDING hold may still have its request in flight: the relay leaves it alone.
    expect(await relayPendingHolds(relayDeps())).toEqual({ started: [], released: [] });

    const relayed = await relayPendingHolds(relayDeps(), 0);
    expect(relayed.started).toContain(bookingId);
    expect(await statusOf(bookingId)).toBe('RESERVED');
    const state = await troupe.client.workflow
      .getHandle(bookingWorkflowId(bookingId))
      .query(bookingStateQuery);
    expect(state).toMatchObject({ status: 'RESERVED', seatIds: ['C1', 'C2'], amount: 2500 });
    // Running the relay again changes nothing (the booking is no longer PENDING).
    expect((await relayPendingHolds(relayDeps(), 0)).started).not.toContain(bookingId);
    // The relayed booking is an ordinary one: it can be cancelled, freeing its seats.
    const cancelled = await http(`${troupe.url}/api/v1/bookings/${bookingId}/cancel`, { method: 'POST' });
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(await holdsOf(showId)).toEqual([]);
  }, 60_000);

  it('an API that died between commit and start, found after the hold expired: the relay releases it', async () => {
    const showId = await createShow(troupe.db);
    const bookingId = await commitPendingHold(showId, ['D4'], new Date(Date.now() - 1_000));
    const relayed = await relayPendingHolds(relayDeps(), 0);
    expect(relayed.released).toContain(bookingId);
    expect(await statusOf(bookingId)).toBe('EXPIRED');
    expect(await holdsOf(showId)).toEqual([]);
    expect(await workflowExists(bookingId)).toBe(false);
  }, 60_000);

  it('a failed workflow start answers 503 and releases the hold, so the seat can be booked', async () => {
    const showId = await createShow(troupe.db);
    // A real Temporal that refuses the start: the API's namespace does not exist.
    const broken = await startTroupe({
      worker: false,
      env: { ...troupe.env, TEMPORAL_NAMESPACE: 'troupe-no-such-namespace' },
    });
    try {
      const refused = await http(`${broken.url}/api/v1/bookings`, {
        body: { showId, seatIds: ['E5'], customer },
      });
      expect(refused.status).toBe(503);
      expect(refused.body.type).toMatch(/booking-not-started/);
    } finally {
      await broken.stop();
    }
    expect(await holdsOf(showId)).toEqual([]);
    const booked = await http(`${troupe.url}/api/v1/bookings`, {
      body: { showId, seatIds: ['E5'], customer },
    });
    expect(booked.status).toBe(201);
  }, 60_000);
});
