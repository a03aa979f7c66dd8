import { z } from 'zod';

export const showId = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31)
  .meta({ example: 12 });

export const moneySchema = z
  .object({ amount: z.int().describe('Minor units (cents)'), currency: z.string().length(3) })
  .meta({ id: 'Money' });

export const showSchema = z
  .object({
    id: z.int(),
    movie: z.object({ id: z.int(), title: z.string(), durationMinutes: z.int(), rating: z.string() }),
    city: z.object({ slug: z.string(), name: z.string() }),
    theater: z.object({ id: z.int(), name: z.string(), address: z.string() }),
    screen: z.object({ id: z.int(), name: z.string() }),
    startsAt: z.iso.datetime(),
    localDate: z.iso.date().describe("The calendar day in the city's time zone"),
    price: moneySchema.describe('Per seat'),
    seatsTotal: z.int(),
    seatsAvailable: z.int(),
  })
  .meta({ id: 'Show' });
export type ShowView = z.infer<typeof showSchema>;

export const listShowsQuery = z.strictObject({
  city: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'must be a city slug such as lisbon')
    .optional(),
  date: z.iso
    .date('must be a date as YYYY-MM-DD')
    .optional()
    .describe("Shows on this day, in the city's time zone"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const showPageSchema = z
  .object({ items: z.array(showSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ShowPage' });

export const SEAT_STATUSES = ['AVAILABLE', 'HELD', 'BOOKED'] as const;
export const seatMapSchema = z
  .object({
    showId: z.int(),
    seats: z.array(
      z.object({ id: z.string(), row: z.string(), number: z.int(), status: z.enum(SEAT_STATUSES) }),
    ),
  })
  .meta({ id: 'SeatMap' });
