import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LeadImportActivities } from '../../activities/lead-import';
import { LeadStatusAttribute, leadWorkflowId } from '../lead/shared';
import type { leadWorkflow } from '../lead/workflow';
import {
  cancelImportUpdate,
  FINISHED_IMPORT_STATUSES,
  IMPORT_FINISHED,
  type ImportLead,
  type ImportProgress,
  type ImportStatus,
  importProgressQuery,
  type LeadImportInput,
  LeadImportStatusAttribute,
  pauseImportUpdate,
  resumeImportUpdate,
} from './shared';

// MySQL bookkeeping (reading pages of leads, writing progress) must eventually succeed.
const bookkeeping = proxyLocalActivities<LeadImportActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const PAGE_SIZE = 100;
const STARTS_PER_RUN = 500;
/** Progress is written at most this often while leads finish (and always on a change of state). */
const PROGRESS_EVERY_MS = 1_000;

/**
 * The lead import: starts a lead workflow (a child, abandoned on close so it outlives a cancel) for
 * every stored row, never more than `concurrency` at once — a sliding window, as in Temporal's
 * batch-sliding-window sample. After `startsPerRun` starts (or when Temporal suggests it) the run lets
 * its window drain and continues as new from where it stopped, so its history stays bounded however
 * long the file. Pause and resume stop and restart new starts; cancel stops them for good.
 */
export async function leadImportWorkflow(input: LeadImportInput): Promise<ImportProgress> {
  const pageSize = input.pageSize ?? PAGE_SIZE;
  const startsPerRun = input.startsPerRun ?? STARTS_PER_RUN;
  const carried = input.carried;
  const state: ImportProgress = {
    status: carried?.paused ? 'PAUSED' : 'RUNNING',
    started: carried?.started ?? 0,
    completed: carried?.completed ?? 0,
    failed: carried?.failed ?? 0,
    inFlight: 0,
    afterSeq: carried?.afterSeq ?? 0,
  };
  const inFlight = new Set<Promise<void>>();
  const snapshot = (): ImportProgress => ({ ...state, inFlight: inFlight.size });

  // Progress writes go one at a time, each with the latest figures.
  let writing: Promise<void> = Promise.resolve();
  let lastWrite = 0;
  const writeProgress = (): Promise<void> => {
    lastWrite = Date.now();
    writing = writing.then(() =>
      bookkeeping.recordImportProgress({ importId: input.importId, ...snapshot() }),
    );
    return writing;
  };
  const moveTo = async (status: ImportStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: LeadImportStatusAttribute, value: status }]);
    await writeProgress();
  };

  setHandler(importProgressQuery, snapshot);
  const refuseWhenFinished = () => {
    if (FINISHED_IMPORT_STATUSES.includes(state.status)) {
      throw ApplicationFailure.nonRetryable(`the import is ${state.status}`, IMPORT_FINISHED);
    }
  };
  setHandler(
    pauseImportUpdate,
    async () => {
      if (state.status === 'RUNNING') await moveTo('PAUSED');
      return snapshot();
    },
    { validator: refuseWhenFinished },
  );
  setHandler(
    resumeImportUpdate,
    async () => {
      if (state.status === 'PAUSED') await moveTo('RUNNING');
      return snapshot();
    },
    { validator: refuseWhenFinished },
  );
  let cancelDone = false;
  setHandler(
    cancelImportUpdate,
    async () => {
      // From here no lead is started (the main loop checks the state before each start).
      state.status = 'CANCELLED';
      await bookkeeping.forgetUnstartedImportLeads({ importId: input.importId, afterSeq: state.afterSeq });
      await moveTo('CANCELLED');
      cancelDone = true;
      return snapshot();
    },
    { validator: refuseWhenFinished },
  );

  // The current state, not RUNNING: a pause may have been handled before this line ran.
  if (!carried) await moveTo(state.status);
  else upsertSearchAttributes([{ key: LeadImportStatusAttribute, value: state.status }]);

  const start = (lead: ImportLead) => {
    let run: Promise<void> | undefined;
    run = (async () => {
      try {
        const result = await executeChild<typeof leadWorkflow>('leadWorkflow', {
          workflowId: leadWorkflowId(lead.profile.id),
          args: [lead.profile],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [{ key: LeadStatusAttribute, value: 'NEW' }],
        });
        if (result.status === 'COMPLETED') state.completed++;
        else state.failed++;
      } catch (err) {
        // POST /leads started this lead first (the same email, in a race): it is not ours to count.
        if (err instanceof WorkflowExecutionAlreadyStartedError) state.started--;
        else state.failed++;
      } finally {
        if (run) inFlight.delete(run);
        // Once cancelled the run is ending: its last write is the cancel's (a command issued beside
        // the run's completion would be dropped, and replay would not find it).
        if (!cancelled() && (Date.now() - lastWrite >= PROGRESS_EVERY_MS || inFlight.size === 0)) {
          void writeProgress();
        }
      }
    })();
    inFlight.add(run);
    state.started++;
    state.afterSeq = lead.seq;
  };

  let page: ImportLead[] = [];
  let exhausted = false;
  let startedThisRun = 0;
  const cancelled = () => state.status === 'CANCELLED';
  for (;;) {
    await condition(() => cancelled() || (state.status === 'RUNNING' && inFlight.size < input.concurrency));
    if (cancelled()) break;
    if (page.length === 0 && !exhausted) {
      page = await bookkeeping.nextImportLeads({
        importId: input.importId,
        afterSeq: state.afterSeq,
        limit: pageSize,
      });
      exhausted = page.length < pageSize;
      continue; // the state may have changed while the page was read
    }
    const next = page.shift();
    if (!next) break;
    if (startedThisRun >= startsPerRun || workflowInfo().continueAsNewSuggested) {
      page.unshift(next);
      break;
    }
    start(next);
    startedThisRun++;
  }

  // Let the window drain: the next run (or the import's end) starts from a place where all is done.
  if (!cancelled()) await condition(() => inFlight.size === 0 || cancelled());
  if (cancelled()) {
    // The cancel update did the work; the run ends once it has answered (the leads started go on),
    // in a later workflow task: ending in the update's own task would get that task refused whenever
    // a child's event arrived meanwhile (UnhandledCommand), and the update with it.
    await condition(() => cancelDone && allHandlersFinished());
    await sleep('1 second');
    return snapshot();
  }
  if (page.length > 0 || !exhausted) {
    await writing;
    await condition(allHandlersFinished);
    return continueAsNew<typeof leadImportWorkflow>({
      ...input,
      carried: {
        afterSeq: state.afterSeq,
        started: state.started,
        completed: state.completed,
        failed: state.failed,
        paused: state.status === 'PAUSED',
      },
    });
  }
  await moveTo('COMPLETED');
  await condition(allHandlersFinished);
  return snapshot();
}
