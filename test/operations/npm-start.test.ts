import { groqStandIn } from '../support/groq';
import { eventually, http, newLead, testEnv } from '../support/harness';
import { children, freeRun, listen, npmStart, run, stopChildren } from '../support/npm-start';
import { freePort } from '../support/ports';
import { SmtpSink } from '../support/smtp-sink';
import type { StandIn } from '../support/stand-in';
import { standInEnv } from '../support/stand-in-env';
import { tavilyStandIn } from '../support/tavily';

afterAll(stopChildren);

describe('workers scale out on one host', () => {
  it('WORKERS=3 npm start runs three workers, each on its own metrics port, printed at start', async () => {
    const metrics = await freeRun(3);
    const started = await npmStart({ WORKERS: '3', METRICS_PORT: String(metrics) });

    const text = started.output.join('\n');
    for (const [i, name] of ['worker-1', 'worker-2', 'worker-3'].entries()) {
      expect(text).toContain(`http://localhost:${metrics + i}/metrics (${name})`);
      const response = await fetch(`http://127.0.0.1:${metrics + i}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/temporal_/);
    }
  }, 120_000);

  it('a second worker whose METRICS_PORT is taken exits with a message naming METRICS_PORT', async () => {
    const port = await freePort();
    const taken = await listen(port);
    try {
      const worker = run('worker/main.ts', {
        ...testEnv({ LOG_LEVEL: 'info' }),
        METRICS_PORT: String(port),
        WORKER_HEALTH_PORT: String(await freePort()),
      });
      children.push(worker.child);
      expect(await worker.exited).not.toBe(0);
      expect(worker.output.join('\n')).toMatch(new RegExp(`METRICS_PORT ${port} is already in use`));
    } finally {
      taken.close();
    }
  }, 60_000);
});

describe('npm start supervises its parts', () => {
  let tavily: StandIn;
  let groq: StandIn;
  let smtp: SmtpSink;
  beforeAll(async () => {
    [tavily, groq, smtp] = await Promise.all([
      tavilyStandIn().start(),
      groqStandIn().start(),
      new SmtpSink().start(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([tavily?.stop(), groq?.stop(), smtp?.stop()]);
  });

  it('a worker SIGKILLed mid-lead is restarted: the lead completes and its report is sent once', async () => {
    const started = await npmStart(standInEnv({ tavily, groq, smtp }));
    const api = (started.output.join('\n').match(/API {5}(http:\/\/\S+)\/api\/v1/) ?? [])[1];
    const workerPid = () =>
      started.output
        .filter((line) => line.startsWith('[worker] {') && line.includes('Worker polling'))
        .map((line) => (JSON.parse(line.slice('[worker] '.length)) as { pid: number }).pid)
        .at(-1);
    const first = workerPid();
    expect(first).toEqual(expect.any(Number));

    // The first analysis call hangs, so the worker dies with it in flight.
    groq.enqueue({ status: 200, body: {}, delayMs: 120_000 });
    const created = await http(`${api}/api/v1/leads`, { body: newLead({ name: 'Supervised Sam' }) });
    expect(created.status).toBe(202);
    await eventually(async () => expect(groq.requests).toHaveLength(1));
    process.kill(first as number, 'SIGKILL');

    await eventually(async () => {
      expect(started.output.join('\n')).toMatch(/worker exited \(SIGKILL\); restarting in/);
      expect(workerPid()).not.toBe(first);
    }, 30_000);
    const lead = await eventually(async () => {
      const got = await http(`${api}/api/v1/leads/${created.body.id}`);
      expect(got.body.status).toBe('COMPLETED');
      return got.body;
    }, 60_000);
    expect(smtp.received.filter((m) => m.subject?.includes('Supervised Sam'))).toHaveLength(1);
    expect(lead.report.messageId).toBe(`<lead-report.${lead.id}@troupe.test>`);
    // The rest of the system stayed up throughout: the API answered the polls above.
    expect(started.child.exitCode).toBeNull();

    // And it still stops cleanly, in order, on SIGTERM.
    const exited = new Promise((resolve) => started.child.once('exit', resolve));
    started.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(started.output.join('\n')).toMatch(/Stopped\./);
  }, 180_000);
});
