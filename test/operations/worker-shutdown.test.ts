import { analysisFor, completion, GROQ_KEY, groqStandIn } from '../support/groq';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { type Part, spawnWorker } from '../support/processes';
import type { StandIn } from '../support/stand-in';

describe('a worker asked to stop (SIGTERM)', () => {
  let groq: StandIn;
  let api: Troupe;
  const workers: Part[] = [];
  beforeAll(async () => {
    groq = await groqStandIn().start();
    api = await startTroupe({ worker: false });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await api?.stop();
    await groq?.stop();
  });

  it('finishes the activity in flight, exits cleanly, and the next worker carries on without redoing it', async () => {
    const env = {
      ...api.env,
      GROQ_API_KEY: GROQ_KEY,
      GROQ_BASE_URL: groq.url,
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '',
      SHUTDOWN_GRACE_SECONDS: '10',
    };
    // The Groq call takes 3 s: the stop request arrives while it is running.
    groq.enqueue((req) => ({ ...completion(JSON.stringify(analysisFor(req))), delayMs: 3_000 }));
    const first = await spawnWorker(env);
    workers.push(first);
    const created = await http(`${api.url}/api/v1/leads`, { body: newLead() });
    await eventually(async () => expect(groq.requests).toHaveLength(1));

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output.some((line) => line.includes('Worker drained and stopped'))).toBe(true);
    // The analysis finished and its result reached Temporal before the worker left.
    const history = await api.client.workflow.getHandle(created.body.workflowId).fetchHistory();
    const completed = (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes);
    const scheduled = (history.events ?? []).find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'analyseLead',
    );
    expect(
      completed.some(
        (e) =>
          String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled?.eventId),
      ),
    ).toBe(true);

    workers.push(await spawnWorker(env));
    await eventually(async () =>
      expect((await http(`${api.url}/api/v1/leads/${created.body.id}`)).body.status).toBe('COMPLETED'),
    );
    expect(groq.requests).toHaveLength(1);
  }, 60_000);
});
