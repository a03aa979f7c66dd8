// Demo inventory: two cities, three theaters, six screens of 120 seats, four movies, and three shows a
// day per screen for the coming week. Idempotent (every insert is keyed), so `npm start` runs it on
// each start and the week of shows rolls forward. `npm run seed` runs it alone.
import { TZDate } from '@date-fns/tz';
import { addDays, format } from 'date-fns';
import { loadConfigOrExit } from '../config/entrypoint';
import type { Db } from './index';
import { openDatabase } from './migrate';

const CITIES = [
  { slug: 'lisbon', name: 'Lisbon', timezone: 'Europe/Lisbon' },
  { slug: 'berlin', name: 'Berlin', timezone: 'Europe/Berlin' },
];
const THEATERS = [
  { city: 'lisbon', name: 'Tejo Picturehouse', address: 'Rua do Rio 12, Lisbon' },
  { city: 'lisbon', name: 'Alfama Cinema', address: 'Largo da Sé 3, Lisbon' },
  { city: 'berlin', name: 'Spree Kino', address: 'Uferstraße 40, Berlin' },
];
const SCREENS = ['Screen 1', 'Screen 2'];
const ROWS = 'ABCDEFGHIJ'.split('');
const SEATS_PER_ROW = 12;
const MOVIES = [
  { title: 'The Durable Heist', duration_minutes: 118, rating: 'PG-13' },
  { title: 'Retry Policy', duration_minutes: 97, rating: 'PG' },
  { title: 'Eventual Consistency', duration_minutes: 131, rating: 'R' },
  { title: 'A Timer for Two', duration_minutes: 104, rating: 'PG' },
];
const SHOW_TIMES = ['14:00', '17:30', '21:00'];
const PRICE_MINOR = 950;
const CURRENCY = 'EUR';

export async function seedDemoInventory(db: Db, now = new Date(), days = 7): Promise<{ shows: number }> {
  await db.insertInto('cities').ignore().values(CITIES).execute();
  const cities = await db.selectFrom('cities').selectAll().execute();
  const cityBySlug = new Map(cities.map((c) => [c.slug, c]));

  await db
    .insertInto('theaters')
    .ignore()
    .values(THEATERS.map(({ city, ...t }) => ({ ...t, city_id: cityBySlug.get(city)?.id ?? 0 })))
    .execute();
  const theaters = await db.selectFrom('theaters').selectAll().execute();
  await db
    .insertInto('screens')
    .ignore()
    .values(theaters.flatMap((t) => SCREENS.map((name) => ({ theater_id: t.id, name }))))
    .execute();
  const screens = await db.selectFrom('screens').selectAll().execute();
  await db
    .insertInto('seats')
    .ignore()
    .values(
      screens.flatMap((screen) =>
        ROWS.flatMap((row) =>
          Array.from({ length: SEATS_PER_ROW }, (_, i) => ({
            screen_id: screen.id,
            label: `${row}${i + 1}`,
            row_label: row,
            number: i + 1,
          })),
        ),
      ),
    )
    .execute();
  await db.insertInto('movies').ignore().values(MOVIES).execute();
  const movies = await db.selectFrom('movies').selectAll().orderBy('id').execute();

  const timezoneOfTheater = new Map(
    theaters.map((t) => [t.id, cities.find((c) => c.id === t.city_id)?.timezone ?? 'UTC']),
  );
  const shows = screens.flatMap((screen, s) => {
    const timeZone = timezoneOfTheater.get(screen.theater_id) ?? 'UTC';
    return Array.from({ length: days }, (_, d) => {
      const day = format(addDays(new TZDate(now, timeZone), d), 'yyyy-MM-dd');
      return SHOW_TIMES.map((time, t) => {
        const [year, month, date] = day.split('-').map(Number) as [number, number, number];
        const [hour, minute] = time.split(':').map(Number) as [number, number];
        const startsAt = new TZDate(year, month - 1, date, hour, minute, timeZone);
        return {
          movie_id: movies[(s + d + t) % movies.length]?.id ?? 0,
          screen_id: screen.id,
          starts_at: new Date(startsAt.getTime()),
          local_date: day,
          price_minor: PRICE_MINOR + t * 200,
          currency: CURRENCY,
        };
      });
    }).flat();
  });
  const result = await db.insertInto('shows').ignore().values(shows).executeTakeFirst();
  return { shows: Number(result.numInsertedOrUpdatedRows ?? 0) };
}

if (require.main === module) {
  void (async () => {
    const db = await openDatabase(loadConfigOrExit('seed'));
    const { shows } = await seedDemoInventory(db);
    console.log(`Seeded demo inventory (${shows} new shows).`);
    await db.destroy();
  })();
}
