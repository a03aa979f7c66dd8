// Small statistics for the bench: percentiles, a bounded-concurrency runner, ratios.

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
};

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
export const latency = (ms: number[]): Latency => ({
  n: ms.length,
  p50: round(percentile(ms, 50)),
  p99: round(percentile(ms, 99)),
  max: round(Math.max(0, ...ms)),
});

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
/** Troupe's figure over the baseline's: 1.0 means "as fast as the engine". */
export const ratio = (troupe: number, baseline: number) =>
  baseline > 0 ? round(troupe / baseline, 2) : null;

/** Runs `count` calls of `work`, at most `concurrency` at a time; latency of each and the wall time. */
export async function runPool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<unknown>,
): Promise<{ ms: number[]; seconds: number; errors: number }> {
  const ms: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        try {
          await work(i);
          ms.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { ms, seconds: (performance.now() - started) / 1000, errors };
}
