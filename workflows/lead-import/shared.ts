// What the API and the lead-import workflow share: ids, states, the search attribute and messages.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LeadProfile } from '../lead/shared';

/**
 * ACCEPTED: rows stored, the workflow not started yet (a request that died in between; the same
 * Idempotency-Key starts it). RUNNING → PAUSED ⇄ RUNNING → COMPLETED, or CANCELLED from either.
 */
export const IMPORT_STATUSES = ['ACCEPTED', 'RUNNING', 'PAUSED', 'COMPLETED', 'CANCELLED'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export const FINISHED_IMPORT_STATUSES: readonly ImportStatus[] = ['COMPLETED', 'CANCELLED'];

/** Keyword search attribute, so the Web UI can filter `LeadImportStatus="RUNNING"`. */
export const LeadImportStatusAttribute = defineSearchAttributeKey(
  'LeadImportStatus',
  SearchAttributeType.KEYWORD,
);

/** Where a run left off, handed to the next run by continue-as-new. */
export interface ImportCarry {
  /** Every lead up to this place in the file has been started, and has finished. */
  afterSeq: number;
  started: number;
  completed: number;
  failed: number;
  paused: boolean;
}

export interface LeadImportInput {
  importId: string;
  /** How many lead workflows may run at once (IMPORT_CONCURRENCY). */
  concurrency: number;
  /** Leads read from MySQL per activity call. */
  pageSize?: number;
  /** Starts per run before the run continues as new, keeping each history bounded. */
  startsPerRun?: number;
  carried?: ImportCarry;
}

export interface ImportProgress {
  status: ImportStatus;
  /** Lead workflows this import started (a lead already started elsewhere is not counted). */
  started: number;
  completed: number;
  failed: number;
  inFlight: number;
  afterSeq: number;
}

/** One lead of an import, as the workflow starts it. */
export interface ImportLead {
  seq: number;
  profile: LeadProfile;
}

export const importProgressQuery = defineQuery<ImportProgress>('importProgress');
/** Stops new starts; the leads already started go on. */
export const pauseImportUpdate = defineUpdate<ImportProgress>('pauseImport');
export const resumeImportUpdate = defineUpdate<ImportProgress>('resumeImport');
/** Stops new starts for good, forgets the leads never started; the ones started finish. */
export const cancelImportUpdate = defineUpdate<ImportProgress>('cancelImport');

/** One workflow per import: the id comes from the import's id. */
export const leadImportWorkflowId = (importId: string): string => `lead-import-${importId}`;

/** The refusal an update gets when the import is over. */
export const IMPORT_FINISHED = 'ImportFinished';
