import type { Worker } from '@temporalio/worker';
import type { PoolStats } from '../db';

/** One workflow worker of this process, with the slot limits it was built with. */
export interface Watched {
  name: string;
  worker: Pick<Worker, 'getStatus'>;
  activitySlots: number;
  workflowTaskSlots: number;
}

export interface Health {
  /** False once the worker has made no progress for the stall period: restart it. */
  live: boolean;
  /** Why it is not live, in words an operator can act on. */
  reason?: string;
  /** Activities (local ones included) finished since start, and the latest finish. */
  activitiesFinished: number;
  lastActivityFinishedAt: number | null;
  pool?: PoolStats;
  workers: Record<string, ReturnType<Worker['getStatus']>>;
}

/** A condition that has held at every sample since `since`. */
interface Streak {
  since: number;
  reason: string;
}

/**
 * Decides whether this worker process is making progress, from what it can see of itself: its MySQL
 * pool and each worker's slots. It is not live when, for the whole stall period,
 *   - callers waited for a pooled connection and none was handed out (the pool is exhausted), or
 *   - every activity slot of a worker was taken and no activity finished, or
 *   - every workflow task slot of a worker was taken and no activity finished.
 * (Activities finishing includes failures and local activities: a worker whose attempts fail fast is
 * not wedged.) Sampled every few seconds; `check()` is also what the health endpoint calls.
 */
export class ProgressMonitor {
  private activitiesFinished = 0;
  private lastActivityFinishedAt: number | null = null;
  private readonly streaks = new Map<string, Streak>();
  private timer?: NodeJS.Timeout;
  private readonly stallListeners: ((reason: string) => void)[] = [];

  constructor(
    private readonly options: {
      watched: () => Watched[];
      pool?: () => PoolStats | undefined;
      stallMs: number;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Called by the activity interceptor whenever an activity attempt ends, however it ends. */
  activityFinished(): void {
    this.activitiesFinished++;
    this.lastActivityFinishedAt = this.now();
  }

  /** Samples every `everyMs` until stopped. */
  start(everyMs = 2_000): this {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Called once, with the reason, when the worker stops being live. */
  onStall(listener: (reason: string) => void): void {
    this.stallListeners.push(listener);
  }

  /**
   * Takes one sample: which stall conditions hold now. A condition's clock starts when it is first
   * seen, and starts again whenever the progress it is about happens (a connection handed out, an
   * activity finished): a worker is stalled only if a condition held, with no such progress, for the
   * whole stall period.
   */
  sample(): void {
    const now = this.now();
    const holding = new Map<string, { reason: string; progressAt: number }>();
    const pool = this.options.pool?.();
    // Callers want connections (one waits now, or one gave up since the last connection was handed
    // out) and none is handed out. Callers that give up and retry later still count as wanting one.
    if (pool && (pool.waiting > 0 || pool.lastTimeoutAt > pool.lastAcquiredAt)) {
      holding.set('pool', {
        reason: `the MySQL pool is exhausted: ${pool.inUse} of ${pool.size} connections in use, ${pool.waiting} callers waiting, ${pool.timeouts} gave up so far, none handed out`,
        progressAt: pool.lastAcquiredAt,
      });
    }
    const finishedAt = this.lastActivityFinishedAt ?? 0;
    for (const { name, worker, activitySlots, workflowTaskSlots } of this.options.watched()) {
      const status = worker.getStatus();
      if (status.runState !== 'RUNNING') continue;
      if (status.numInFlightActivities >= activitySlots) {
        holding.set(`${name}:activities`, {
          reason: `${name}: all ${activitySlots} activity slots taken and no activity finished`,
          progressAt: finishedAt,
        });
      }
      if (status.numInFlightWorkflowActivations >= workflowTaskSlots) {
        holding.set(`${name}:workflows`, {
          reason: `${name}: all ${workflowTaskSlots} workflow task slots taken and no activity finished`,
          progressAt: finishedAt,
        });
      }
    }
    for (const key of [...this.streaks.keys()]) if (!holding.has(key)) this.streaks.delete(key);
    for (const [key, { reason, progressAt }] of holding) {
      const since = Math.max(this.streaks.get(key)?.since ?? now, progressAt);
      this.streaks.set(key, { since, reason });
    }
    const health = this.check();
    if (!health.live && health.reason) {
      for (const listener of this.stallListeners.splice(0)) listener(health.reason);
    }
  }

  check(): Health {
    const now = this.now();
    const stalled = [...this.streaks.values()].find((s) => now - s.since >= this.options.stallMs);
    const workers = Object.fromEntries(this.options.watched().map((w) => [w.name, w.worker.getStatus()]));
    return {
      live: !stalled,
      ...(stalled && {
        reason: `${stalled.reason} for ${Math.round((now - stalled.since) / 1000)} s`,
      }),
      activitiesFinished: this.activitiesFinished,
      lastActivityFinishedAt: this.lastActivityFinishedAt,
      pool: this.options.pool?.(),
      workers,
    };
  }
}
