// A small process supervisor for `npm start`: restarts a crashed part with exponential backoff, gives
// up on a crash loop naming the part and its last output, and stops every part in reverse start order.
// Why not a library: see README, Operations → Supervision.

export interface RestartPolicy {
  /** Wait before the first restart after a quiet spell. */
  initialDelayMs: number;
  /** Each further crash within the window multiplies the wait by this. */
  factor: number;
  maxDelayMs: number;
  /** This many crashes within `crashLoopWindowMs` is a crash loop: stop restarting. */
  crashLoopCount: number;
  crashLoopWindowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 15_000,
  crashLoopCount: 5,
  crashLoopWindowMs: 60_000,
};

export type CrashDecision = { action: 'restart'; delayMs: number } | { action: 'give-up'; crashes: number };

/**
 * What to do about a crash at `now`, given the times of the part's earlier crashes: restart after
 * `initialDelayMs × factor^(recent crashes − 1)` (capped), or give up when the recent ones, this one
 * included, reach `crashLoopCount` within the window.
 */
export function decideOnCrash(earlierCrashes: number[], now: number, policy: RestartPolicy): CrashDecision {
  const recent = earlierCrashes.filter((t) => now - t < policy.crashLoopWindowMs).length + 1;
  if (recent >= policy.crashLoopCount) return { action: 'give-up', crashes: recent };
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (recent - 1));
  return { action: 'restart', delayMs };
}

/** One running instance of a part. */
export interface Running {
  /** Settles when the process ends, with how (`SIGKILL`, `code 1`). */
  exited: Promise<string>;
  /** Asks the process to stop and waits until it has; `graceMs` shortens how long it may take. */
  stop(graceMs?: number): Promise<void>;
}

export interface PartSpec {
  name: string;
  /** Starts the part; resolves once it is up. `output` receives its log lines. */
  start(output: (line: string) => void): Promise<Running>;
  /**
   * A liveness URL (the worker's /healthz). A 503, or no answer to `unansweredLimit` probes in a row
   * once it has answered, means the part is up but not making progress: it is stopped and started again.
   */
  health?: { url: string };
  /** Parts of one group (the workers) are stopped together, not one after another. */
  group?: string;
}

export interface HealthProbing {
  everyMs: number;
  /** Probes in a row without any answer that count as unhealthy. */
  unansweredLimit: number;
  timeoutMs: number;
}

/** How long a part stopped for not making progress may take to exit before it is killed. */
export const RECYCLE_GRACE_MS = 10_000;

export const DEFAULT_HEALTH_PROBING: HealthProbing = { everyMs: 5_000, unansweredLimit: 3, timeoutMs: 3_000 };

/** One probe: undefined when healthy, else why not (the body's `reason`, or what failed). */
export async function probe(
  url: string,
  timeoutMs: number,
): Promise<{ answered: boolean; problem?: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (response.ok) {
      await response.body?.cancel();
      return { answered: true };
    }
    const body = (await response.json().catch(() => ({}))) as { reason?: string; status?: string };
    return { answered: true, problem: body.reason ?? body.status ?? `HTTP ${response.status}` };
  } catch (err) {
    return { answered: false, problem: `no answer from ${url} (${(err as Error).message})` };
  }
}

export interface SupervisorOptions {
  policy?: RestartPolicy;
  /** The supervisor's own log line about a part. */
  log(part: string, line: string): void;
  /** A part's output line. */
  output(part: string, line: string): void;
  /** Called once when a part crash-loops; `lastOutput` is its final lines. */
  onGiveUp(part: string, reason: string, lastOutput: string[]): void;
  /** How parts with a health URL are probed. */
  probing?: HealthProbing;
  /** How many of a part's last output lines to keep for the give-up message. */
  keepLines?: number;
  now?: () => number;
}

interface Supervised {
  spec: PartSpec;
  running?: Running;
  crashes: number[];
  lastOutput: string[];
  restartTimer?: NodeJS.Timeout;
  probeTimer?: NodeJS.Timeout;
  /** Why the supervisor itself is stopping this instance (it is not making progress). */
  recycling?: string;
}

export class Supervisor {
  private readonly parts: Supervised[] = [];
  private stopping = false;
  private readonly policy: RestartPolicy;
  private readonly now: () => number;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = options.policy ?? DEFAULT_RESTART_POLICY;
    this.now = options.now ?? Date.now;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Starts a part and keeps it running; rejects if its first start fails. */
  async add(spec: PartSpec): Promise<void> {
    const part: Supervised = { spec, crashes: [], lastOutput: [] };
    this.parts.push(part);
    await this.launch(part);
  }

  /**
   * Stops every part, the last added first, each (or each group, together) waiting for the previous one
   * to end. With `withinMs`, the whole stop ends by then: a part still running at its turn gets only
   * the time that is left before it is killed.
   */
  async stop(options: { withinMs?: number } = {}): Promise<void> {
    this.stopping = true;
    const deadline = options.withinMs === undefined ? undefined : this.now() + options.withinMs;
    const left = () => (deadline === undefined ? undefined : Math.max(0, deadline - this.now()));
    const order = [...this.parts].reverse();
    for (let i = 0; i < order.length; ) {
      const group = order[i]?.spec.group;
      let j = i + 1;
      while (group !== undefined && j < order.length && order[j]?.spec.group === group) j++;
      await Promise.all(
        order.slice(i, j).map((part) => {
          clearTimeout(part.restartTimer);
          clearInterval(part.probeTimer);
          return part.running?.stop(left());
        }),
      );
      i = j;
    }
  }

  private record(part: Supervised, line: string): void {
    part.lastOutput.push(line);
    const keep = this.options.keepLines ?? 20;
    if (part.lastOutput.length > keep) part.lastOutput.splice(0, part.lastOutput.length - keep);
    this.options.output(part.spec.name, line);
  }

  private async launch(part: Supervised): Promise<void> {
    const running = await part.spec.start((line) => this.record(part, line));
    if (this.stopping) {
      // Stop was asked while this part was (re)starting.
      await running.stop();
      return;
    }
    part.running = running;
    void running.exited.then((how) => {
      clearInterval(part.probeTimer);
      if (this.stopping || part.running !== running) return;
      part.running = undefined;
      const recycled = part.recycling;
      part.recycling = undefined;
      this.crashed(part, recycled ? `stopped: ${recycled}` : how);
    });
    if (part.spec.health) this.watch(part, running, part.spec.health.url);
  }

  /** Probes a running part's health URL; a part up but not making progress is stopped (and so restarted). */
  private watch(part: Supervised, running: Running, url: string): void {
    const probing = this.options.probing ?? DEFAULT_HEALTH_PROBING;
    let answeredOnce = false;
    let unanswered = 0;
    let busy = false;
    part.probeTimer = setInterval(async () => {
      if (busy || this.stopping || part.running !== running || part.recycling) return;
      busy = true;
      const result = await probe(url, probing.timeoutMs);
      busy = false;
      if (part.running !== running || this.stopping) return;
      answeredOnce ||= result.answered;
      unanswered = result.answered ? 0 : unanswered + 1;
      const unhealthy = result.answered
        ? result.problem
        : answeredOnce && unanswered >= probing.unansweredLimit;
      if (!unhealthy || !result.problem) return;
      part.recycling = result.problem;
      this.options.log(
        part.spec.name,
        `${part.spec.name} is not making progress (${result.problem}); restarting it`,
      );
      // A wedged process will not drain: a short grace, then it is killed.
      void running.stop(RECYCLE_GRACE_MS);
    }, probing.everyMs);
    part.probeTimer.unref?.();
  }

  private crashed(part: Supervised, how: string): void {
    const { name } = part.spec;
    const now = this.now();
    const decision = decideOnCrash(part.crashes, now, this.policy);
    part.crashes = [...part.crashes.filter((t) => now - t < this.policy.crashLoopWindowMs), now];
    if (decision.action === 'give-up') {
      const window = this.policy.crashLoopWindowMs / 1000;
      this.options.onGiveUp(
        name,
        `${name} crashed ${decision.crashes} times within ${window} s (last: ${how}); not restarting it`,
        [...part.lastOutput],
      );
      return;
    }
    this.options.log(
      name,
      `${name} exited (${how}); restarting in ${(decision.delayMs / 1000).toFixed(1)} s`,
    );
    part.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.launch(part).then(
        () => this.options.log(name, `${name} restarted`),
        (err) => {
          this.record(part, `could not start: ${(err as Error).message}`);
          this.crashed(part, 'failed to start');
        },
      );
    }, decision.delayMs);
  }
}
