import type { PoolStats } from '../../db';
import { ProgressMonitor, type Watched } from '../../worker/progress';

/** A clock and a worker whose status the test sets. */
function world() {
  let now = 1_000_000;
  const status = {
    runState: 'RUNNING',
    numInFlightActivities: 0,
    numInFlightWorkflowActivations: 0,
  };
  const pool: PoolStats = {
    size: 2,
    inUse: 0,
    waiting: 0,
    oldestWaitMs: 0,
    lastAcquiredAt: now,
    timeouts: 0,
    lastTimeoutAt: 0,
  };
  const watched: Watched = {
    name: 'main',
    worker: { getStatus: () => status as unknown as ReturnType<Watched['worker']['getStatus']> },
    activitySlots: 3,
    workflowTaskSlots: 2,
  };
  const monitor = new ProgressMonitor({
    watched: () => [watched],
    pool: () => pool,
    stallMs: 10_000,
    now: () => now,
  });
  const advance = (ms: number) => {
    for (let t = 0; t < ms; t += 1_000) {
      now += 1_000;
      monitor.sample();
    }
  };
  return { monitor, status, pool, advance, now: () => now };
}

describe('the worker progress monitor', () => {
  it('is live while idle, and while busy with work that finishes', () => {
    const w = world();
    w.advance(30_000);
    expect(w.monitor.check().live).toBe(true);
    w.status.numInFlightActivities = 3;
    for (let i = 0; i < 30; i++) {
      w.monitor.activityFinished();
      w.advance(1_000);
    }
    expect(w.monitor.check().live).toBe(true);
  });

  it('is not live once callers have waited for the pool for the stall period with none served', () => {
    const w = world();
    Object.assign(w.pool, { inUse: 2, waiting: 8, lastAcquiredAt: w.now() });
    w.advance(9_000);
    expect(w.monitor.check().live).toBe(true);
    w.advance(3_000);
    const health = w.monitor.check();
    expect(health.live).toBe(false);
    expect(health.reason).toMatch(/MySQL pool is exhausted: 2 of 2 connections in use, 8 callers waiting/);
  });

  it('counts callers that gave up waiting and retry later as wanting a connection', () => {
    const w = world();
    const acquiredAt = w.now();
    // Nobody waits at the moment of most samples: each caller times out after 1 s and retries later.
    for (let i = 0; i < 12; i++) {
      Object.assign(w.pool, { inUse: 2, waiting: i % 3 === 0 ? 1 : 0, lastTimeoutAt: w.now(), timeouts: i });
      w.advance(1_000);
    }
    expect(w.pool.lastAcquiredAt).toBe(acquiredAt);
    const health = w.monitor.check();
    expect(health.live).toBe(false);
    expect(health.reason).toMatch(/MySQL pool is exhausted/);
  });

  it('is not live when every activity slot is taken and nothing finishes, and recovers when work finishes', () => {
    const w = world();
    const stalls: string[] = [];
    w.monitor.onStall((reason) => stalls.push(reason));
    w.status.numInFlightActivities = 3;
    w.advance(12_000);
    expect(w.monitor.check().reason).toMatch(/main: all 3 activity slots taken and no activity finished/);
    expect(stalls).toHaveLength(1);
    w.monitor.activityFinished();
    w.advance(1_000);
    expect(w.monitor.check().live).toBe(true);
  });

  it('is not live when every workflow task slot stays taken with nothing finishing', () => {
    const w = world();
    w.status.numInFlightWorkflowActivations = 2;
    w.advance(12_000);
    expect(w.monitor.check().reason).toMatch(/main: all 2 workflow task slots taken/);
  });

  it('does not count a busy pool that keeps serving callers as a stall', () => {
    const w = world();
    Object.assign(w.pool, { inUse: 2, waiting: 5 });
    for (let i = 0; i < 30; i++) {
      w.pool.lastAcquiredAt = w.now();
      w.advance(1_000);
    }
    expect(w.monitor.check().live).toBe(true);
  });
});
