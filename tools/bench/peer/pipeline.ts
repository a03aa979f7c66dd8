// The lead pipeline as one BullMQ job: NEW → ENRICHING → ENRICHED → COMPLETED (or FAILED), the steps
// of Troupe's lead workflow, made by Troupe's own activity code. Each finished step is saved on the
// job (BullMQ's "process step jobs" pattern), so a retried or recovered job resumes where it stopped.
import { ApplicationFailure } from '@temporalio/common';
import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { LeadActivities } from '../../../activities/lead';
import type { LeadAnalysis, LeadResearch } from '../../../workflows/lead/schemas';
import { RESEARCH_FACETS } from '../../../workflows/lead/shared';
import { inActivity } from './in-activity';
import { PEER_QUEUE, PEER_WORKER_OPTIONS, type PeerJob } from './shared';

const refused = (err: unknown) => err instanceof ApplicationFailure && err.type === 'LeadTransitionRefused';

export function leadProcessor(activities: LeadActivities) {
  return async (job: Job<PeerJob>): Promise<string> => {
    const { lead } = job.data;
    const done = { ...job.data.done };
    const abort = new AbortController();
    const step = <T>(name: string, work: () => Promise<T>) =>
      inActivity(
        { jobId: job.id ?? lead.id, name, attempt: job.attemptsMade + 1, signal: abort.signal },
        work,
      );
    const moveTo = (status: 'ENRICHING' | 'ENRICHED' | 'COMPLETED' | 'FAILED', patch = {}) =>
      step(`status-${status}`, () => activities.recordLeadStatus({ leadId: lead.id, status, ...patch }));

    try {
      if (!done.research) {
        try {
          await moveTo('ENRICHING');
        } catch (err) {
          if (refused(err)) return 'already processed';
          throw err;
        }
        done.research = Object.fromEntries(
          await Promise.all(
            RESEARCH_FACETS.map(async (facet) => [
              facet,
              await step(`research-${facet}`, () => activities.researchLead({ lead, facet })),
            ]),
          ),
        );
        await job.updateData({ ...job.data, done });
      }
      const research = done.research as LeadResearch;
      if (!done.analysis) {
        done.analysis = await step('analysis', () => activities.analyseLead({ lead, research }));
        await job.updateData({ ...job.data, done });
      }
      const analysis = done.analysis as LeadAnalysis;
      await moveTo('ENRICHED', { research, analysis });
      const delivery = await step('report', () => activities.sendLeadReport({ lead, research, analysis }));
      await moveTo('COMPLETED', { delivery });
      return 'COMPLETED';
    } catch (err) {
      if (refused(err)) return 'already processed';
      const permanent = err instanceof ApplicationFailure && err.nonRetryable;
      const last = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last) {
        // Best effort, as a queue's failure handler is: if MySQL is away too, the lead stays where it was.
        const message = (err as Error).message;
        await moveTo('FAILED', { error: { step: 'job', type: 'Failed', message } }).catch(() => undefined);
      }
      throw permanent ? new UnrecoverableError((err as Error).message) : err;
    } finally {
      abort.abort();
    }
  };
}

/** A BullMQ worker on the peer's queue running the pipeline, sized like Troupe's activity slots. */
export function createPeerWorker(
  activities: LeadActivities,
  options: { connection: ConnectionOptions; prefix: string; concurrency: number },
): Worker<PeerJob> {
  return new Worker<PeerJob>(PEER_QUEUE, leadProcessor(activities), {
    ...options,
    ...PEER_WORKER_OPTIONS,
  });
}
