import { createHash, randomBytes } from 'node:crypto';

/**
 * A new lead's id: random, so it says nothing about the person (the unique email index, not the id,
 * makes the same email one lead). Same shape as before: `ld_` and 24 hex digits.
 */
export const newLeadId = (): string => `ld_${randomBytes(12).toString('hex')}`;

/**
 * The id Troupe gave leads before migration 003: an unsalted SHA-256 of the email, which anyone
 * could recompute from a guessed address. Kept only so the migration can find such ids.
 */
export const legacyLeadId = (email: string): string =>
  `ld_${createHash('sha256').update(email).digest('hex').slice(0, 24)}`;
