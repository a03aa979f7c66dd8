/**
 * TEST-ONLY payload encryption key, committed on purpose: the test run and the replay fixtures in
 * test/fixtures/histories are encrypted with it so anyone can replay them. It protects nothing;
 * never put it in a real deployment's PAYLOAD_ENCRYPTION_KEYS.
 */
export const TEST_PAYLOAD_KEYS = 'test-only-2026:pqpvkZMrtcVNIG0MYzlroHSp/Y7dNzStJR1oaJfhT6U=';

/** A second test-only key, for rotation tests (never in fixtures). */
export const TEST_ROTATED_KEY = 'test-only-rotated:vFJl/Cbmx0d7WPhW6cL0VbmdJiJ3TrX2DkmEw57a02s=';
