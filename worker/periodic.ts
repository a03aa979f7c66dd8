import type { Client } from '@temporalio/client';
import type { Logger } from '../observability/logger';

/** One pass may take this long; its Temporal calls carry the deadline, so a hung server cannot hold it. */
const PASS_DEADLINE_MS = 20_000;
/** On stop, a pass in progress gets this long to finish before it is left behind. */
const STOP_WAIT_MS = 5_000;

/**
 * A background job of the worker (the outbox relays): a pass every `everyMs`, never overlapping the
 * previous one (a tick that finds one still running is skipped), each bounded by a deadline on its
 * Temporal calls; `stop()` waits for a pass in progress at most a few seconds.
 */
export function periodic(options: {
  name: string;
  temporal: Client;
  logger: Logger;
  everyMs: number;
  passDeadlineMs?: number;
  pass: () => Promise<unknown>;
}): { stop(): Promise<void> } {
  let current: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (current) return;
    current = options.temporal
      .withDeadline(Date.now() + (options.passDeadlineMs ?? PASS_DEADLINE_MS), options.pass)
      .then(
        () => undefined,
        (err) => options.logger.warn({ err }, `${options.name} failed`),
      )
      .finally(() => {
        current = undefined;
      });
  }, options.everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      if (!current) return;
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([
        current,
        new Promise<void>((resolve) => {
          waited = setTimeout(resolve, STOP_WAIT_MS);
        }),
      ]);
      clearTimeout(waited);
    },
  };
}
