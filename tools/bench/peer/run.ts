// One run of the side-by-side: post leads to a system (Troupe or the peer), optionally while faults
// hit it, wait for them to finish, then count what every lead got. Both systems are measured the same
// way: POST→COMPLETED is the lead row's COMPLETED time (updated_at, ms, the same clock) minus the
// moment its first POST was sent; throughput is completed leads over first POST to last COMPLETED.

import { messageIdFor } from '../../../activities/mail/send-once';
import type { Db } from '../../../db';
import { newLead } from '../../../test/support/harness';
import type { SmtpSink } from '../../../test/support/smtp-sink';
import type { StandIn } from '../../../test/support/stand-in';
import { latency, round, runPool } from '../stats';

export interface System {
  name: string;
  /** Where a lead is POSTed. */
  postUrl: string;
  /** The system's own database, read directly (not through the fault proxy). */
  db: Db;
  mailFrom: string;
  smtp: SmtpSink;
  groq: StandIn;
  /** Which of these unfinished leads still have work scheduled (a running workflow, a queued job). */
  stillScheduled(ids: string[]): Promise<Set<string>>;
}

export interface RunPlan {
  leads: number;
  /** Posts in flight at once. */
  concurrency: number;
  /** Leads posted per second at most (spreads the run over the faults); unset: as fast as answered. */
  perSecond?: number;
  /** Faults, started with the first post; the run waits for them too. */
  faults?: () => Promise<void>;
  /** How long to wait for the last leads after posting and faults are over. */
  settleMs: number;
}

export interface RunFigures {
  leads: number;
  accepted: number;
  completed: number;
  failed: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Accepted, not COMPLETED or FAILED at the end, and nothing scheduled that would finish it. */
  lost: number;
  /** Accepted, not finished at the end, but still scheduled (it may finish later). */
  stuck: number;
  /** Report emails received beyond one per lead (same Message-ID sent again). */
  duplicateReportEmails: number;
  /** LLM (Groq) calls beyond one per lead. */
  duplicateLlmCalls: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs until the API takes it (2xx) or 60 s pass: a client retrying through an outage. */
async function post(url: string, body: object): Promise<string | undefined> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const answer = (await response.json().catch(() => ({}))) as { id?: string };
      if (response.ok && answer.id) return answer.id;
    } catch {
      // Refused, reset or timed out: try again.
    }
    await sleep(500);
  }
  return undefined;
}

/** The lead id an LLM request is for (the analysis prompt carries the lead without its contact). */
function leadOfLlmCall(body: unknown): string | undefined {
  const messages = (body as { messages?: { role: string; content: string }[] })?.messages ?? [];
  try {
    return JSON.parse(messages.find((m) => m.role === 'user')?.content ?? '{}').lead?.id;
  } catch {
    return undefined;
  }
}

export async function runLeads(system: System, plan: RunPlan): Promise<RunFigures> {
  const tag = `${system.name.toLowerCase()}-${Date.now().toString(36)}`;
  const sentAt = new Map<string, number>();
  const started = Date.now();
  const faults = plan.faults?.() ?? Promise.resolve();
  await runPool(plan.leads, plan.concurrency, async (i) => {
    if (plan.perSecond) await sleep(Math.max(0, started + (i * 1000) / plan.perSecond - Date.now()));
    const t = Date.now();
    const id = await post(system.postUrl, newLead({ name: `Bench ${tag} ${i}` }));
    if (id) sentAt.set(id, t);
  });
  await faults;
  const ids = [...sentAt.keys()];
  const deadline = Date.now() + plan.settleMs;
  let rows: { id: string; status: string; updated_at: Date }[] = [];
  for (;;) {
    rows = ids.length
      ? await system.db
          .selectFrom('leads')
          .select(['id', 'status', 'updated_at'])
          .where('id', 'in', ids)
          .execute()
      : [];
    const open = rows.filter((r) => r.status !== 'COMPLETED' && r.status !== 'FAILED');
    if (open.length === 0 || Date.now() > deadline) break;
    await sleep(250);
  }
  const completed = rows.filter((r) => r.status === 'COMPLETED');
  const open = rows.filter((r) => r.status !== 'COMPLETED' && r.status !== 'FAILED').map((r) => r.id);
  const scheduled = await system.stillScheduled(open);
  const ms = completed.map((r) => r.updated_at.getTime() - (sentAt.get(r.id) ?? started));
  const last = Math.max(started, ...completed.map((r) => r.updated_at.getTime()));
  const first = Math.min(...sentAt.values());

  const idSet = new Set(ids);
  const perLead = (keys: (string | undefined)[]) => {
    const counts = new Map<string, number>();
    for (const k of keys) if (k && idSet.has(k)) counts.set(k, (counts.get(k) ?? 0) + 1);
    return [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  };
  const byMessageId = new Map(ids.map((id) => [messageIdFor(`lead-report:${id}`, system.mailFrom), id]));
  const l = latency(ms);
  return {
    leads: plan.leads,
    accepted: ids.length,
    completed: completed.length,
    failed: rows.filter((r) => r.status === 'FAILED').length,
    perSecond: round(completed.length / Math.max(0.001, (last - first) / 1000), 2),
    p50: l.p50,
    p99: l.p99,
    // A lead whose row never appeared (accepted, then lost with its row) counts as lost as well.
    lost: open.filter((id) => !scheduled.has(id)).length + (ids.length - rows.length),
    stuck: open.filter((id) => scheduled.has(id)).length,
    duplicateReportEmails: perLead(system.smtp.received.map((m) => byMessageId.get(m.messageId ?? ''))),
    duplicateLlmCalls: perLead(
      system.groq.requestsTo('/openai/v1/chat/completions').map((r) => leadOfLlmCall(r.body)),
    ),
    seconds: round((Date.now() - started) / 1000),
  };
}
