import escapeHtml from 'escape-html';
import type { Db } from '../../db';
import { fromJson } from '../../db';
import { formatMoney } from '../../workflows/payment/money';
import { type MailDeps, sendOnce } from '../mail/send-once';

export type BookingEmailKind = 'confirmed' | 'cancelled';

export function createBookingEmailActivities(mail: MailDeps & { db: Db }) {
  return {
    /** The confirmation or cancellation email, once per booking and kind. */
    async sendBookingEmail({ bookingId, kind }: { bookingId: string; kind: BookingEmailKind }) {
      const b = await mail.db
        .selectFrom('bookings')
        .innerJoin('shows', 'shows.id', 'bookings.show_id')
        .innerJoin('movies', 'movies.id', 'shows.movie_id')
        .innerJoin('screens', 'screens.id', 'shows.screen_id')
        .innerJoin('theaters', 'theaters.id', 'screens.theater_id')
        .innerJoin('cities', 'cities.id', 'theaters.city_id')
        .leftJoin('payments', 'payments.id', 'bookings.payment_id')
        .select([
          'bookings.customer_name',
          'bookings.customer_email',
          'bookings.seat_ids',
          'bookings.amount_minor',
          'bookings.currency',
          'shows.starts_at',
          'movies.title',
          'screens.name as screen',
          'theaters.name as theater',
          'theaters.address',
          'cities.timezone',
          'payments.refunded_minor',
        ])
        .where('bookings.id', '=', bookingId)
        .executeTakeFirstOrThrow();

      const when = new Intl.DateTimeFormat('en-GB', {
        timeZone: b.timezone,
        dateStyle: 'full',
        timeStyle: 'short',
      }).format(b.starts_at);
      const seats = (fromJson<string[]>(b.seat_ids) ?? []).join(', ');
      const total = formatMoney(b.amount_minor, b.currency);
      const refunded = b.refunded_minor ? formatMoney(b.refunded_minor, b.currency) : undefined;
      const subject =
        kind === 'confirmed'
          ? `Booking confirmed: ${b.title}, ${when}`
          : `Booking cancelled: ${b.title}, ${when}`;
      const lines = [
        `Hello ${b.customer_name},`,
        kind === 'confirmed'
          ? `your booking ${bookingId} is confirmed.`
          : `your booking ${bookingId} is cancelled${refunded ? ` and ${refunded} has been refunded` : ''}.`,
        `${b.title} at ${b.theater}, ${b.screen} (${b.address})`,
        `${when}; seats ${seats}; total ${total}`,
      ];
      const text = lines.join('\n');
      const html = `<!doctype html><html><body style="font-family: system-ui, sans-serif">${lines
        .map((line) => `<p>${escapeHtml(line)}</p>`)
        .join('')}</body></html>`;
      return sendOnce(mail, {
        key: `booking-${kind}:${bookingId}`,
        to: b.customer_email,
        subject: subject.replace(/[\r\n]+/g, ' '),
        text,
        html,
      });
    },
  };
}
