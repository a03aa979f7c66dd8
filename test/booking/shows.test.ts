import { seedDemoInventory } from '../../db/seed';
import { http, startTroupe, type Troupe } from '../support/harness';

describe('the show catalogue', () => {
  let troupe: Troupe;
  beforeAll(async () => {
    troupe = await startTroupe({ worker: false });
  });
  afterAll(async () => troupe?.stop());

  it('the demo seed has two cities, three theaters, 100+ seats a screen, a week of shows, and is idempotent', async () => {
    const again = await seedDemoInventory(troupe.db);
    expect(again.shows).toBe(0);
    const count = async (table: 'cities' | 'theaters' | 'screens' | 'seats') =>
      Number(
        (
          await troupe.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count('cities')).toBeGreaterThanOrEqual(2);
    expect(await count('theaters')).toBeGreaterThanOrEqual(3);
    expect((await count('seats')) / (await count('screens'))).toBeGreaterThanOrEqual(100);
    const upcoming = await http(`${troupe.url}/api/v1/shows?limit=100`);
    expect(upcoming.body.items.length).toBeGreaterThanOrEqual(12);
  });

  it('filters by city and local date, soonest first, with a cursor', async () => {
    const first = await http(`${troupe.url}/api/v1/shows?city=berlin&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items.every((s: { city: { slug: string } }) => s.city.slug === 'berlin')).toBe(true);
    const second = await http(
      `${troupe.url}/api/v1/shows?city=berlin&limit=2&cursor=${first.body.nextCursor}`,
    );
    const keys: [string, number][] = [...first.body.items, ...second.body.items].map(
      (s: { startsAt: string; id: number }) => [s.startsAt, s.id],
    );
    expect(new Set(keys.map(([, id]) => id)).size).toBe(4);
    const byTimeThenId = (a: [string, number], b: [string, number]) =>
      a[0].localeCompare(b[0]) || a[1] - b[1];
    expect([...keys].sort(byTimeThenId)).toEqual(keys);

    const day = first.body.items[0].localDate;
    const onDay = await http(`${troupe.url}/api/v1/shows?city=berlin&date=${day}&limit=100`);
    expect(onDay.body.items.length).toBeGreaterThan(0);
    expect(onDay.body.items.every((s: { localDate: string }) => s.localDate === day)).toBe(true);
    // Berlin shows at 14:00 local are 13:00 UTC in winter, 12:00 in summer.
    expect(onDay.body.items[0].startsAt).toMatch(/T1[23]:00:00.000Z$/);
    expect(onDay.body.items[0]).toMatchObject({ seatsTotal: 120, price: { currency: 'EUR' } });
  });

  it('answers bad filters with 400 and unknown shows with 404', async () => {
    expect((await http(`${troupe.url}/api/v1/shows?date=24-11-2026`)).body.errors[0].field).toBe(
      'query.date',
    );
    expect((await http(`${troupe.url}/api/v1/shows?city=Berlin!`)).body.errors[0].field).toBe('query.city');
    expect((await http(`${troupe.url}/api/v1/shows/999999/seats`)).status).toBe(404);
    expect((await http(`${troupe.url}/api/v1/shows/abc/seats`)).status).toBe(400);
  });
});
