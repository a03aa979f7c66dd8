import { GROQ_KEY, groqStandIn } from '../support/groq';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import type { StandIn } from '../support/stand-in';

describe('Groq calls run on their own, rate-capped task queue', () => {
  let groq: StandIn;
  const troupes: Troupe[] = [];
  beforeAll(async () => {
    groq = await groqStandIn().start();
    // Two workers on the same queues: the cap (2 calls a second) is the task queue's, not a worker's.
    const first = await startTroupe({
      env: { GROQ_API_KEY: GROQ_KEY, GROQ_BASE_URL: groq.url, GROQ_MAX_REQUESTS_PER_SECOND: '2' },
    });
    troupes.push(first, await startTroupe({ env: first.env }));
  });
  afterAll(async () => {
    await Promise.all(troupes.map((t) => t.stop()));
    await groq?.stop();
  });

  it('a burst of leads does not exceed GROQ_MAX_REQUESTS_PER_SECOND, however many workers run', async () => {
    const [api] = troupes;
    const leads = await Promise.all(
      Array.from({ length: 9 }, () => http(`${api?.url}/api/v1/leads`, { body: newLead() })),
    );
    await eventually(async () => {
      for (const lead of leads)
        expect((await http(`${api?.url}/api/v1/leads/${lead.body.id}`)).body.status).toBe('COMPLETED');
    }, 30_000);
    const at = groq.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(at).toHaveLength(9);
    // Uncapped, 9 calls go out within a few hundred milliseconds; at 2 a second they take about 4 s.
    // The bound is loose because the server's limiter allows some burst across task-queue partitions.
    expect((at[8] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(2_000);
  });
});
