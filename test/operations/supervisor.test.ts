import {
  DEFAULT_RESTART_POLICY,
  decideOnCrash,
  type PartSpec,
  type RestartPolicy,
  Supervisor,
} from '../../tools/local/supervisor';

const policy: RestartPolicy = {
  initialDelayMs: 10,
  factor: 2,
  maxDelayMs: 50,
  crashLoopCount: 5,
  crashLoopWindowMs: 60_000,
};

describe('restart policy', () => {
  it('restarts a first crash after the initial delay, then backs off exponentially up to the cap', () => {
    expect(decideOnCrash([], 0, DEFAULT_RESTART_POLICY)).toEqual({ action: 'restart', delayMs: 500 });
    expect(decideOnCrash([0], 1_000, policy)).toEqual({ action: 'restart', delayMs: 20 });
    expect(decideOnCrash([0, 1], 2, policy)).toEqual({ action: 'restart', delayMs: 40 });
    expect(decideOnCrash([0, 1, 2], 3, policy)).toEqual({ action: 'restart', delayMs: 50 });
  });

  it('gives up on the fifth crash within a minute', () => {
    expect(decideOnCrash([0, 1, 2, 3], 4, policy)).toEqual({ action: 'give-up', crashes: 5 });
  });

  it('forgets crashes older than the window: five crashes spread over more than a minute are not a loop', () => {
    expect(decideOnCrash([0, 20_000, 40_000, 60_000], 80_000, policy)).toEqual({
      action: 'restart',
      delayMs: 40,
    });
    // After a quiet minute the backoff starts over.
    expect(decideOnCrash([0, 1, 2, 3], 120_000, policy)).toEqual({ action: 'restart', delayMs: 10 });
  });
});

/** A part whose instances the test ends by hand, recording starts and stops. */
function fakePart(name: string, events: string[]) {
  const instances: { crash(how: string, lines?: string[]): void }[] = [];
  const spec: PartSpec = {
    name,
    async start(output) {
      events.push(`start ${name}`);
      let end!: (how: string) => void;
      const exited = new Promise<string>((resolve) => {
        end = resolve;
      });
      instances.push({
        crash(how, lines = []) {
          for (const line of lines) output(line);
          end(how);
        },
      });
      return {
        exited,
        async stop() {
          events.push(`stop ${name}`);
          end('SIGTERM');
        },
      };
    },
  };
  return { spec, instances, latest: () => instances[instances.length - 1] };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('Supervisor', () => {
  function supervisor(events: string[], gaveUp: unknown[] = []) {
    return new Supervisor({
      policy,
      log: (_part, line) => events.push(line),
      output: () => {},
      onGiveUp: (part, reason, lastOutput) => gaveUp.push({ part, reason, lastOutput }),
    });
  }

  it('restarts a crashed part, says so, and leaves the others alone', async () => {
    const events: string[] = [];
    const s = supervisor(events);
    const api = fakePart('api', events);
    const worker = fakePart('worker', events);
    await s.add(worker.spec);
    await s.add(api.spec);

    worker.latest()?.crash('SIGKILL');
    await until(() => worker.instances.length === 2);
    expect(events).toEqual([
      'start worker',
      'start api',
      'worker exited (SIGKILL); restarting in 0.0 s',
      'start worker',
      'worker restarted',
    ]);
    expect(api.instances).toHaveLength(1);
    await s.stop();
  });

  it('gives up on a crash loop, naming the part and passing its last output', async () => {
    const events: string[] = [];
    const gaveUp: { part: string; reason: string; lastOutput: string[] }[] = [];
    const s = supervisor(events, gaveUp);
    const worker = fakePart('worker', events);
    await s.add(worker.spec);
    for (let i = 1; i <= 5; i++) {
      await until(() => worker.instances.length === i);
      worker.latest()?.crash('code 1', [`Error: cannot connect (${i})`]);
    }
    await until(() => gaveUp.length === 1);
    expect(gaveUp[0]?.part).toBe('worker');
    expect(gaveUp[0]?.reason).toBe('worker crashed 5 times within 60 s (last: code 1); not restarting it');
    expect(gaveUp[0]?.lastOutput.at(-1)).toBe('Error: cannot connect (5)');
    await new Promise((r) => setTimeout(r, 100));
    expect(worker.instances).toHaveLength(5);
  });

  it('stops every part in reverse start order and restarts nothing while stopping', async () => {
    const events: string[] = [];
    const s = supervisor(events);
    const parts = ['temporal', 'gateway', 'worker', 'api'].map((name) => fakePart(name, events));
    for (const part of parts) await s.add(part.spec);
    events.length = 0;
    await s.stop();
    expect(events).toEqual(['stop api', 'stop worker', 'stop gateway', 'stop temporal']);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toHaveLength(4);
  });

  it('does not restart a part whose restart was pending when stop was asked', async () => {
    const events: string[] = [];
    const s = new Supervisor({
      policy: { ...policy, initialDelayMs: 30 },
      log: () => {},
      output: () => {},
      onGiveUp: () => {},
    });
    const worker = fakePart('worker', events);
    await s.add(worker.spec);
    worker.latest()?.crash('SIGKILL');
    await s.stop();
    await new Promise((r) => setTimeout(r, 80));
    expect(worker.instances).toHaveLength(1);
  });
});

describe('Supervisor health probing', () => {
  it('restarts a part whose health URL answers 503, saying why', async () => {
    const { createServer } = await import('node:http');
    let healthy = true;
    const server = createServer((_req, res) => {
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(healthy ? { status: 'ok' } : { status: 'stalled', reason: 'the pool is exhausted' }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`;
    const events: string[] = [];
    const part = fakePart('worker', events);
    const supervisor = new Supervisor({
      policy,
      probing: { everyMs: 20, unansweredLimit: 3, timeoutMs: 500 },
      log: (_part, line) => events.push(line),
      output: () => {},
      onGiveUp: () => {},
    });
    try {
      await supervisor.add({ ...part.spec, health: { url } });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(events).toEqual(['start worker']);
      healthy = false;
      await until(() => events.filter((e) => e === 'start worker').length === 2);
      expect(events).toContain('worker is not making progress (the pool is exhausted); restarting it');
      expect(
        events.some((e) => /worker exited \(stopped: the pool is exhausted\); restarting in/.test(e)),
      ).toBe(true);
      healthy = true;
    } finally {
      await supervisor.stop();
      server.close();
    }
  });
});
