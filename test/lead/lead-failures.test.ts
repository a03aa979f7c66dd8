import { completion, groqStandIn, rateLimited } from '../support/groq';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { recordHistory } from '../support/histories';
import { SmtpSink } from '../support/smtp-sink';
import type { StandIn } from '../support/stand-in';
import { standInEnv } from '../support/stand-in-env';
import { tavilyStandIn } from '../support/tavily';

const CHAT = '/openai/v1/chat/completions';

describe('lead failures: retried when transient, FAILED with a reason when not', () => {
  let tavily: StandIn;
  let groq: StandIn;
  let smtp: SmtpSink;
  const troupes: Troupe[] = [];

  beforeAll(async () => {
    [tavily, groq, smtp] = await Promise.all([
      tavilyStandIn().start(),
      groqStandIn().start(),
      new SmtpSink().start(),
    ]);
  });
  afterAll(async () => {
    await Promise.all(troupes.map((t) => t.stop()));
    await Promise.all([tavily?.stop(), groq?.stop(), smtp?.stop()]);
  });

  async function troupeWith(env: Record<string, string> = {}): Promise<Troupe> {
    const troupe = await startTroupe({
      env: { ...standInEnv({ tavily, groq, smtp }), ...env },
    });
    troupes.push(troupe);
    return troupe;
  }

  async function settled(troupe: Troupe, id: string) {
    return eventually(async () => {
      const got = await http(`${troupe.url}/api/v1/leads/${id}`);
      expect(['COMPLETED', 'FAILED']).toContain(got.body.status);
      return got.body;
    }, 45_000);
  }

  async function activityAttempts(
    troupe: Troupe,
    workflowId: string,
    activityType: string,
  ): Promise<number[]> {
    const history = await troupe.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = new Map<string, string>();
    const attempts: number[] = [];
    for (const event of history.events ?? []) {
      const s = event.activityTaskScheduledEventAttributes;
      if (s?.activityType?.name) scheduled.set(String(event.eventId), s.activityType.name);
      const started = event.activityTaskStartedEventAttributes;
      if (started && scheduled.get(String(started.scheduledEventId)) === activityType)
        attempts.push(started.attempt ?? 0);
    }
    return attempts;
  }

  it('Groq answering 429 twice is retried after its Retry-After, then the lead completes', async () => {
    const troupe = await troupeWith();
    const before = groq.requestsTo(CHAT).length;
    groq.enqueue(rateLimited(2), rateLimited(2));
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    const lead = await settled(troupe, created.body.id);

    expect(lead.status).toBe('COMPLETED');
    expect(lead.analysis.source).toBe('groq');
    const calls = groq.requestsTo(CHAT).slice(before);
    expect(calls).toHaveLength(3);
    // Retry-After: 2 overrides the policy's 1 s first backoff.
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_900);
    expect((calls[2]?.at ?? 0) - (calls[1]?.at ?? 0)).toBeGreaterThanOrEqual(1_900);
    expect(await activityAttempts(troupe, lead.workflowId, 'analyseLead')).toEqual([3]);
  });

  it('Groq answering 429 with Retry-After 0 twice falls back to the retry policy, then the lead completes', async () => {
    const troupe = await troupeWith();
    const before = groq.requestsTo(CHAT).length;
    groq.enqueue(
      rateLimited({ 'retry-after': '0' }),
      rateLimited({ 'retry-after': '0', 'retry-after-ms': '0' }),
    );
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    const lead = await settled(troupe, created.body.id);

    expect(lead.status).toBe('COMPLETED');
    expect(groq.requestsTo(CHAT).slice(before)).toHaveLength(3);
    expect(await activityAttempts(troupe, lead.workflowId, 'analyseLead')).toEqual([3]);
  });

  it('Tavily rejecting the key (401) fails the lead at once, with no retries and no report', async () => {
    const troupe = await troupeWith({ TAVILY_API_KEY: 'tvly-wrong-key' });
    const before = { tavily: tavily.requests.length, groq: groq.requests.length, mail: smtp.received.length };
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    const lead = await settled(troupe, created.body.id);

    expect(lead.status).toBe('FAILED');
    expect(lead.error).toEqual({
      type: 'InvalidCredentials',
      message: 'research: Tavily rejected the API key (HTTP 401)',
    });
    recordHistory(lead.workflowId, 'lead-failed-research');
    // One request per research facet, none repeated; nothing after research ran.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(tavily.requests.length - before.tavily).toBeLessThanOrEqual(3);
    expect(groq.requests.length).toBe(before.groq);
    expect(smtp.received.length).toBe(before.mail);
    expect(await activityAttempts(troupe, lead.workflowId, 'researchLead')).toEqual(
      expect.arrayContaining([1]),
    );
    expect(Math.max(...(await activityAttempts(troupe, lead.workflowId, 'researchLead')))).toBe(1);
  });

  it('an invalid model reply is sent back with the validation errors, and only the valid one is stored', async () => {
    const troupe = await troupeWith();
    const before = groq.requestsTo(CHAT).length;
    groq.enqueue(completion(JSON.stringify({ score: 'very high', reasons: [] })));
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead({ name: 'Repair Rita' }) });
    const lead = await settled(troupe, created.body.id);

    expect(lead.status).toBe('COMPLETED');
    const calls = groq.requestsTo(CHAT).slice(before);
    expect(calls).toHaveLength(2);
    const repair = calls[1]?.body as { messages: { role: string; content: string }[] } | undefined;
    const messages = repair?.messages ?? [];
    expect(messages.at(-2)).toEqual({
      role: 'assistant',
      content: JSON.stringify({ score: 'very high', reasons: [] }),
    });
    expect(messages.at(-1)?.content).toMatch(/not valid[\s\S]*score/);
    expect(lead.analysis).toMatchObject({
      score: 40 + ('Repair Rita'.length % 50),
      summary: 'Repair Rita looks like a reasonable fit.',
    });
  });

  it('Groq rejecting the key (401) fails the lead with the reason', async () => {
    const troupe = await troupeWith({ GROQ_API_KEY: 'gsk-wrong' });
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    const lead = await settled(troupe, created.body.id);
    expect(lead.status).toBe('FAILED');
    expect(lead.error).toEqual({
      type: 'InvalidCredentials',
      message: 'analysis: Groq rejected the API key (HTTP 401)',
    });
    expect(lead.analysis).toBeNull();
  });

  it('a send that the server received but did not acknowledge is retried with the same Message-ID', async () => {
    const troupe = await troupeWith();
    smtp.failAfterReceiving(1);
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead({ name: 'Resend Rosa' }) });
    const lead = await settled(troupe, created.body.id);

    expect(lead.status).toBe('COMPLETED');
    const copies = smtp.received.filter((m) => m.subject?.includes('Resend Rosa'));
    expect(copies).toHaveLength(2);
    expect(copies[0]?.messageId).toBe(`<lead-report.${lead.id}@troupe.test>`);
    expect(copies[1]?.messageId).toBe(copies[0]?.messageId);
    expect(lead.report.messageId).toBe(copies[0]?.messageId);
    expect(await activityAttempts(troupe, lead.workflowId, 'sendLeadReport')).toEqual([2]);
  });
});
