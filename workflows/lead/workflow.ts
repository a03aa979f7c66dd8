import {
  ApplicationFailure,
  log,
  metricMeter,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LeadActivities } from '../../activities/lead';
import { failureReason } from '../failures';
import { webhookEmitter } from '../webhooks/emit';
import {
  type LeadFailure,
  type LeadState,
  type LeadStatus,
  LeadStatusAttribute,
  type LeadWorkflowInput,
  leadStateQuery,
  llmTaskQueue,
  RESEARCH_FACETS,
} from './shared';
import { reportOutcomeIsChecked, statusWritesAreLocal } from './versions';

// MySQL bookkeeping must eventually succeed: retry until the database is back. A status write is one
// UPDATE: as a local activity it runs in the worker's own workflow task, with no activity task to
// schedule, poll and complete (three fewer round trips to Temporal per write).
const BOOKKEEPING = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const scheduledBookkeeping = proxyActivities<LeadActivities>(BOOKKEEPING);
const localBookkeeping = proxyLocalActivities<LeadActivities>(BOOKKEEPING);

// Calls to Tavily, Groq and SMTP: bounded retries with backoff; 401/403 and bad input are
// non-retryable (the activities say so), and a 429's Retry-After sets the next delay.
const EXTERNAL = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
} as const;
const external = proxyActivities<LeadActivities>(EXTERNAL);
// The report: a send waits out another attempt's claim (MailBusy) rather than fail, so it gets more
// attempts and time than a search; a heartbeat every few seconds shows it is alive while it waits.
const report = proxyActivities<LeadActivities>({
  ...EXTERNAL,
  scheduleToCloseTimeout: '30 minutes',
  retry: { ...EXTERNAL.retry, maximumAttempts: 20 },
});

const finished = metricMeter.createCounter('troupe_leads_finished', 'leads', 'Leads by final status');

/**
 * The Lead actor: NEW → ENRICHING → ENRICHED → COMPLETED, or FAILED with a reason.
 * One run per lead (its id is the workflow id), so a lead is enriched and reported once.
 */
export async function leadWorkflow(lead: LeadWorkflowInput): Promise<LeadState> {
  // Key order is the result's order in the Web UI: the score and the report first, the long research
  // last (undefined keys are not serialized; the commands are the same).
  const state: LeadState = {
    status: 'NEW',
    analysis: undefined,
    delivery: undefined,
    error: undefined,
    research: undefined,
  };
  setHandler(leadStateQuery, () => state);
  const webhooks = webhookEmitter();
  const bookkeeping = statusWritesAreLocal() ? localBookkeeping : scheduledBookkeeping;
  // Groq calls wait their turn on the rate-capped LLM task queue, so they may queue for a long time.
  const llm = proxyActivities<LeadActivities>({
    ...EXTERNAL,
    taskQueue: llmTaskQueue(workflowInfo().taskQueue),
    scheduleToCloseTimeout: '2 hours',
  });

  const moveTo = async (status: LeadStatus, patch: Omit<LeadState, 'status'> = {}) => {
    // MySQL first: the API serves it, and it refuses transitions that would repeat finished work.
    await bookkeeping.recordLeadStatus({ leadId: lead.id, status, ...patch });
    Object.assign(state, patch, { status });
    upsertSearchAttributes([{ key: LeadStatusAttribute, value: status }]);
    log.info('Lead status changed', { leadId: lead.id, status });
  };

  /**
   * Sends the report. If sending finally fails, the delivery record decides: a report the server did
   * take (its answer was lost) completes the lead; one that may have gone out says so in the failure.
   */
  const sendReport = async (input: Parameters<LeadActivities['sendLeadReport']>[0]) => {
    try {
      return await (reportOutcomeIsChecked() ? report : external).sendLeadReport(input);
    } catch (err) {
      if (!reportOutcomeIsChecked()) throw err;
      const outcome = await localBookkeeping.leadReportOutcome({ leadId: lead.id });
      if (outcome.state === 'sent') return outcome.delivery;
      if (outcome.state === 'not-sent') throw err;
      const { type, message } = failureReason(err);
      throw ApplicationFailure.create({
        type,
        message: `${message} (the report ${outcome.messageId} may have reached the mail server; no delivery was confirmed)`,
        nonRetryable: true,
      });
    }
  };

  try {
    await moveTo('ENRICHING');
  } catch (err) {
    if (isFailureOfType(err, 'LeadTransitionRefused')) {
      log.warn('Lead was already processed; not enriching it again', { leadId: lead.id });
      return state;
    }
    throw err;
  }

  let step = 'research';
  try {
    const [profile, website, news] = await Promise.all(
      RESEARCH_FACETS.map((facet) => external.researchLead({ lead, facet })),
    );
    const research = { profile, website, news } as NonNullable<LeadState['research']>;

    step = 'analysis';
    const analysis = await llm.analyseLead({ lead, research });
    await moveTo('ENRICHED', { research, analysis });

    step = 'report';
    const delivery = await sendReport({ lead, research, analysis });
    await moveTo('COMPLETED', { delivery });
    webhooks.emit('lead.completed', lead.id);
    finished.add(1, { status: 'COMPLETED' });
  } catch (err) {
    const error = describeFailure(step, err);
    log.warn('Lead enrichment failed', { leadId: lead.id, ...error });
    await moveTo('FAILED', { error });
    webhooks.emit('lead.failed', lead.id);
    finished.add(1, { status: 'FAILED', reason: error.type });
  }
  await webhooks.flushed();
  return state;
}

function isFailureOfType(err: unknown, type: string): boolean {
  // A scheduled activity's failure wraps the ApplicationFailure once; a local activity's may wrap it deeper.
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure && e.type === type) return true;
  }
  return false;
}

function describeFailure(step: string, err: unknown): LeadFailure {
  return { step, ...failureReason(err) };
}
