import type { ExpressionBuilder } from 'kysely';
import type { Db } from '../../db';
import type { Database } from '../../db/schema';
import { HOLD_TAKEOVER_GRACE_MS } from '../../db/seat-holds';
import { decodeCursor, toPage } from '../http/cursor';
import type { ShowView } from './schemas';

/** A hold counts until its time (plus the takeover grace) has passed; a booking counts for good. */
const activeHold = (eb: ExpressionBuilder<Database, 'seat_holds'>) =>
  eb.or([
    eb('seat_holds.status', '=', 'BOOKED'),
    eb('seat_holds.expires_at', '>', new Date(Date.now() - HOLD_TAKEOVER_GRACE_MS)),
  ]);

function showQuery(db: Db) {
  return db
    .selectFrom('shows')
    .innerJoin('movies', 'movies.id', 'shows.movie_id')
    .innerJoin('screens', 'screens.id', 'shows.screen_id')
    .innerJoin('theaters', 'theaters.id', 'screens.theater_id')
    .innerJoin('cities', 'cities.id', 'theaters.city_id')
    .select((eb) => [
      'shows.id',
      'shows.starts_at',
      'shows.local_date',
      'shows.price_minor',
      'shows.currency',
      'movies.id as movie_id',
      'movies.title',
      'movies.duration_minutes',
      'movies.rating',
      'cities.slug as city_slug',
      'cities.name as city_name',
      'theaters.id as theater_id',
      'theaters.name as theater_name',
      'theaters.address',
      'screens.id as screen_id',
      'screens.name as screen_name',
      eb
        .selectFrom('seats')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('seats.screen_id', '=', 'shows.screen_id')
        .as('seats_total'),
      eb
        .selectFrom('seat_holds')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('seat_holds.show_id', '=', 'shows.id')
        .where(activeHold)
        .as('seats_taken'),
    ]);
}
type ShowRow = NonNullable<Awaited<ReturnType<ReturnType<typeof showQuery>['executeTakeFirst']>>>;

function toView(row: ShowRow): ShowView {
  const total = Number(row.seats_total ?? 0);
  return {
    id: row.id,
    movie: { id: row.movie_id, title: row.title, durationMinutes: row.duration_minutes, rating: row.rating },
    city: { slug: row.city_slug, name: row.city_name },
    theater: { id: row.theater_id, name: row.theater_name, address: row.address },
    screen: { id: row.screen_id, name: row.screen_name },
    startsAt: row.starts_at.toISOString(),
    localDate: row.local_date,
    price: { amount: row.price_minor, currency: row.currency },
    seatsTotal: total,
    seatsAvailable: total - Number(row.seats_taken ?? 0),
  };
}

/** Upcoming shows (or those on `date` in their city), soonest first, keyset-paginated on (starts_at, id). */
export async function listShows(
  db: Db,
  options: { city?: string; date?: string; limit: number; cursor?: string },
) {
  let query = showQuery(db)
    .orderBy('shows.starts_at')
    .orderBy('shows.id')
    .limit(options.limit + 1);
  if (options.city) query = query.where('cities.slug', '=', options.city);
  query = options.date
    ? query.where('shows.local_date', '=', options.date)
    : query.where('shows.starts_at', '>', new Date());
  if (options.cursor) {
    const [startsAt, id] = decodeCursor(options.cursor);
    const at = new Date(startsAt);
    query = query.where((eb) =>
      eb.or([
        eb('shows.starts_at', '>', at),
        eb.and([eb('shows.starts_at', '=', at), eb('shows.id', '>', Number(id))]),
      ]),
    );
  }
  const rows = await query.execute();
  return toPage(rows, options.limit, (row) => [row.starts_at.toISOString(), String(row.id)], toView);
}

export async function findShow(db: Db, id: number): Promise<ShowView | undefined> {
  const row = await showQuery(db).where('shows.id', '=', id).executeTakeFirst();
  return row && toView(row);
}

export async function seatMap(db: Db, showId: number) {
  const rows = await db
    .selectFrom('shows')
    .innerJoin('seats', 'seats.screen_id', 'shows.screen_id')
    .leftJoin('seat_holds', (join) =>
      join.onRef('seat_holds.show_id', '=', 'shows.id').onRef('seat_holds.seat_label', '=', 'seats.label'),
    )
    .select(['seats.label', 'seats.row_label', 'seats.number', 'seat_holds.status', 'seat_holds.expires_at'])
    .where('shows.id', '=', showId)
    .orderBy('seats.row_label')
    .orderBy('seats.number')
    .execute();
  const cutoff = Date.now() - HOLD_TAKEOVER_GRACE_MS;
  return rows.map((r) => ({
    id: r.label,
    row: r.row_label,
    number: r.number,
    status:
      r.status === 'BOOKED'
        ? ('BOOKED' as const)
        : r.status === 'HELD' && r.expires_at && r.expires_at.getTime() > cutoff
          ? ('HELD' as const)
          : ('AVAILABLE' as const),
  }));
}
