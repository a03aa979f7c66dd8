import { groqStandIn } from '../support/groq';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { type Part, spawnWorker } from '../support/processes';
import { SmtpSink } from '../support/smtp-sink';
import type { StandIn } from '../support/stand-in';
import { standInEnv } from '../support/stand-in-env';
import { tavilyStandIn } from '../support/tavily';

describe('a worker killed in the middle of an enrichment', () => {
  let tavily: StandIn;
  let groq: StandIn;
  let smtp: SmtpSink;
  let api: Troupe;
  const workers: Part[] = [];

  beforeAll(async () => {
    [tavily, groq, smtp] = await Promise.all([
      tavilyStandIn().start(),
      groqStandIn().start(),
      new SmtpSink().start(),
    ]);
    // The API alone in this process; the workers are separate processes that can be killed.
    api = await startTroupe({ worker: false });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await api?.stop();
    await Promise.all([tavily?.stop(), groq?.stop(), smtp?.stop()]);
  });

  it('is picked up by a new worker: the lead completes and its report is sent once', async () => {
    const env = {
      ...api.env,
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '',
      ...standInEnv({ tavily, groq, smtp }),
    };
    // The first analysis call hangs, so the worker dies with it in flight.
    groq.enqueue({ status: 200, body: {}, delayMs: 120_000 });
    const first = await spawnWorker(env);
    workers.push(first);

    const created = await http(`${api.url}/api/v1/leads`, { body: newLead({ name: 'Crash Carmen' }) });
    expect(created.status).toBe(202);
    await eventually(async () => expect(groq.requests).toHaveLength(1));
    expect((await http(`${api.url}/api/v1/leads/${created.body.id}`)).body.status).toBe('ENRICHING');

    first.child.kill('SIGKILL');
    await first.exited;
    workers.push(await spawnWorker(env));

    const lead = await eventually(async () => {
      const got = await http(`${api.url}/api/v1/leads/${created.body.id}`);
      expect(got.body.status).toBe('COMPLETED');
      return got.body;
    }, 60_000);
    expect(groq.requests).toHaveLength(2);
    expect(smtp.received.filter((m) => m.subject?.includes('Crash Carmen'))).toHaveLength(1);
    expect(lead.report.messageId).toBe(`<lead-report.${lead.id}@troupe.test>`);
  }, 90_000);
});
