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
  /** Asks the process to stop and waits until it has. */
  stop(): Promise<void>;
}

export interface PartSpec {
  name: string;
  /** Starts the part; resolves once it is up. `output` receives its log lines. */
  start(output: (line: string) => void): Promise<Running>;
}

export interface SupervisorOptions {
  policy?: RestartPolicy;
  /** The supervisor's own log line about a part. */
  log(part: string, line: string): void;
  /** A part's output line. */
  output(part: string, line: string): void;
  /** Called once when a part crash-loops; `lastOutput` is its final lines. */
  onGiveUp(part: string, reason: string, lastOutput: string[]): void;
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

  /** Stops every part, the last added first, each waiting for the previous one to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const part of [...this.parts].reverse()) {
      clearTimeout(part.restartTimer);
      await part.running?.stop();
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
      if (this.stopping || part.running !== running) return;
      part.running = undefined;
      this.crashed(part, how);
    });
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
