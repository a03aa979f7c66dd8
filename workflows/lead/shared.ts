// Everything the API and the lead workflow both need: ids, statuses, the search attribute and messages.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';
import type { LeadAnalysis, LeadResearch } from './schemas';

export const LEAD_STATUSES = ['NEW', 'ENRICHING', 'ENRICHED', 'COMPLETED', 'FAILED'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

/** Keyword search attribute, so the Web UI can filter `LeadStatus="COMPLETED"`. */
export const LeadStatusAttribute = defineSearchAttributeKey('LeadStatus', SearchAttributeType.KEYWORD);

export interface LeadProfile {
  id: string;
  name: string;
  email: string;
  company: string;
  title?: string;
  linkedinUrl?: string;
  website?: string;
  notifyEmail?: string;
}

export type LeadWorkflowInput = LeadProfile;

export interface LeadReportDelivery {
  messageId: string;
  sentTo: string;
  sentAt: string;
  transport: 'smtp' | 'outbox';
}

/** A report whose sending failed: sent after all (an answer was lost), possibly sent, or not sent. */
export type ReportOutcome =
  | { state: 'sent'; delivery: LeadReportDelivery }
  | { state: 'unknown' | 'not-sent'; messageId: string };

export interface LeadFailure {
  /** The step that failed: research, analysis, report or bookkeeping. */
  step: string;
  type: string;
  message: string;
}

export interface LeadState {
  status: LeadStatus;
  research?: LeadResearch;
  analysis?: LeadAnalysis;
  delivery?: LeadReportDelivery;
  error?: LeadFailure;
}

export const leadStateQuery = defineQuery<LeadState>('leadState');

/** One workflow per lead, ever: the id comes from the lead's business key. */
export const leadWorkflowId = (leadId: string): string => `lead-${leadId}`;

export { RESEARCH_FACETS, type ResearchFacet } from './research-facets';

/**
 * Groq calls run on their own task queue, beside the main one, where workers cap them per second
 * (GROQ_MAX_REQUESTS_PER_SECOND): the cap holds across all workers, whatever the burst of leads.
 */
export const llmTaskQueue = (taskQueue: string): string => `${taskQueue}-llm`;
