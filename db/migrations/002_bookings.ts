import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const table = (ddl: ReturnType<typeof sql>) => ddl.execute(db);
  await table(sql`
    CREATE TABLE cities (
      id       INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      slug     VARCHAR(64)  NOT NULL,
      name     VARCHAR(100) NOT NULL,
      timezone VARCHAR(64)  NOT NULL,
      UNIQUE KEY uq_cities_slug (slug)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  await table(sql`
    CREATE TABLE theaters (
      id      INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      city_id INT UNSIGNED NOT NULL,
      name    VARCHAR(200) NOT NULL,
      address VARCHAR(300) NOT NULL,
      UNIQUE KEY uq_theaters_name (city_id, name),
      CONSTRAINT fk_theaters_city FOREIGN KEY (city_id) REFERENCES cities (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  await table(sql`
    CREATE TABLE screens (
      id         INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      theater_id INT UNSIGNED NOT NULL,
      name       VARCHAR(100) NOT NULL,
      UNIQUE KEY uq_screens_name (theater_id, name),
      CONSTRAINT fk_screens_theater FOREIGN KEY (theater_id) REFERENCES theaters (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  // A seat is addressed by its label within its screen ("A1"); that label is the API's seat id.
  await table(sql`
    CREATE TABLE seats (
      id        INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      screen_id INT UNSIGNED NOT NULL,
      label     VARCHAR(8)   NOT NULL,
      row_label VARCHAR(4)   NOT NULL,
      number    SMALLINT UNSIGNED NOT NULL,
      UNIQUE KEY uq_seats_label (screen_id, label),
      CONSTRAINT fk_seats_screen FOREIGN KEY (screen_id) REFERENCES screens (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await table(sql`
    CREATE TABLE movies (
      id               INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      title            VARCHAR(200) NOT NULL,
      duration_minutes SMALLINT UNSIGNED NOT NULL,
      rating           VARCHAR(16)  NOT NULL,
      UNIQUE KEY uq_movies_title (title)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  // local_date is the show's calendar day in its city, so "shows on 2026-11-24 in Mumbai" is an index lookup.
  await table(sql`
    CREATE TABLE shows (
      id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      movie_id    INT UNSIGNED NOT NULL,
      screen_id   INT UNSIGNED NOT NULL,
      starts_at   DATETIME(3)  NOT NULL,
      local_date  DATE         NOT NULL,
      price_minor INT UNSIGNED NOT NULL,
      currency    CHAR(3)      NOT NULL,
      UNIQUE KEY uq_shows_slot (screen_id, starts_at),
      KEY ix_shows_date (local_date, starts_at, id),
      KEY ix_shows_starts (starts_at, id),
      CONSTRAINT fk_shows_movie FOREIGN KEY (movie_id) REFERENCES movies (id),
      CONSTRAINT fk_shows_screen FOREIGN KEY (screen_id) REFERENCES screens (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await table(sql`
    CREATE TABLE bookings (
      id              VARCHAR(40)  NOT NULL PRIMARY KEY,
      workflow_id     VARCHAR(200) NOT NULL,
      show_id         INT UNSIGNED NOT NULL,
      seat_ids        JSON         NOT NULL,
      customer_name   VARCHAR(200) NOT NULL,
      customer_email  VARCHAR(320) NOT NULL,
      amount_minor    INT UNSIGNED NOT NULL,
      currency        CHAR(3)      NOT NULL,
      status          VARCHAR(16)  NOT NULL,
      hold_expires_at DATETIME(3)  NULL,
      payment_id      VARCHAR(64)  NULL,
      taken_seat_ids  JSON         NULL,
      error_type      VARCHAR(100) NULL,
      error_message   TEXT         NULL,
      created_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      KEY ix_bookings_show (show_id),
      CONSTRAINT fk_bookings_show FOREIGN KEY (show_id) REFERENCES shows (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  // The guarantee against double booking: one row per (show, seat), whoever holds it. A hold is the
  // insert of all its rows in one transaction, so it takes every seat or none.
  await table(sql`
    CREATE TABLE seat_holds (
      show_id    INT UNSIGNED NOT NULL,
      seat_label VARCHAR(8)   NOT NULL,
      booking_id VARCHAR(40)  NOT NULL,
      status     VARCHAR(8)   NOT NULL,
      expires_at DATETIME(3)  NULL,
      created_at DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (show_id, seat_label),
      KEY ix_seat_holds_booking (booking_id),
      CONSTRAINT fk_seat_holds_show FOREIGN KEY (show_id) REFERENCES shows (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

  await table(sql`
    CREATE TABLE payments (
      id               VARCHAR(64)  NOT NULL PRIMARY KEY,
      workflow_id      VARCHAR(200) NOT NULL,
      reference        VARCHAR(200) NULL,
      amount_minor     INT UNSIGNED NOT NULL,
      currency         CHAR(3)      NOT NULL,
      capture_mode     VARCHAR(16)  NOT NULL,
      status           VARCHAR(20)  NOT NULL,
      captured_minor   INT UNSIGNED NOT NULL DEFAULT 0,
      refunded_minor   INT UNSIGNED NOT NULL DEFAULT 0,
      authorization_id VARCHAR(64)  NULL,
      refunds          JSON         NULL,
      error_type       VARCHAR(100) NULL,
      error_message    TEXT         NULL,
      version          INT UNSIGNED NOT NULL DEFAULT 0,
      created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      KEY ix_payments_reference (reference)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of [
    'payments',
    'seat_holds',
    'bookings',
    'shows',
    'movies',
    'seats',
    'screens',
    'theaters',
    'cities',
  ]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(name)}`.execute(db);
  }
}
