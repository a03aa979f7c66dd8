import type { Db } from '../../db';

/**
 * A show of its own for one test, at a random minute weeks ahead on an existing screen, so concurrent
 * test files never compete for the same seats (a clash of times is simply tried again).
 */
export async function createShow(db: Db, options: { priceMinor?: number } = {}): Promise<number> {
  const screen = await db.selectFrom('screens').select('id').orderBy('id').executeTakeFirstOrThrow();
  const movie = await db.selectFrom('movies').select('id').orderBy('id').executeTakeFirstOrThrow();
  for (;;) {
    const startsAt = new Date(Date.now() + 30 * 86_400_000 + Math.floor(Math.random() * 500_000) * 60_000);
    startsAt.setUTCSeconds(0, 0);
    try {
      const result = await db
        .insertInto('shows')
        .values({
          movie_id: movie.id,
          screen_id: screen.id,
          starts_at: startsAt,
          local_date: startsAt.toISOString().slice(0, 10),
          price_minor: options.priceMinor ?? 1250,
          currency: 'EUR',
        })
        .executeTakeFirstOrThrow();
      return Number(result.insertId);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ER_DUP_ENTRY') throw err;
    }
  }
}
