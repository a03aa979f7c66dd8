// The peer's names and settings, shared by its API, its workers and the bench: one BullMQ queue on
// Redis under a key prefix of its own (so a run never touches anyone else's keys), one job per lead.
import type { JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { LeadProfile } from '../../../workflows/lead/shared';

export const PEER_QUEUE = 'leads';

export interface PeerJob {
  lead: LeadProfile;
  /** Finished steps, saved with `job.updateData` so a retried job resumes instead of starting over. */
  done?: { research?: unknown; analysis?: unknown };
}

/** BullMQ's documented requirement for workers: never fail a command while Redis reconnects. */
export const peerRedis = (url: string) =>
  new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });

/** One job per lead (the job id dedupes a second add), retried like Troupe's external calls. */
export const peerJobId = (leadId: string) => `lead-${leadId}`;
export const PEER_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  // Kept for an hour so the job id keeps deduping repeated posts of the same lead.
  removeOnComplete: { age: 3_600 },
  removeOnFail: { age: 24 * 3_600 },
};

/**
 * Stalled-job recovery: a worker that dies stops renewing its lock; after `lockDuration` another
 * worker's stalled-job check (every `stalledInterval`) moves the job back to waiting. Tighter than
 * BullMQ's 30 s defaults because a lead takes about a second; `maxStalledCount` stays at its default.
 */
export const PEER_WORKER_OPTIONS = {
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 1,
} as const;

export interface PeerEnv {
  REDIS_URL: string;
  PEER_PREFIX: string;
}
