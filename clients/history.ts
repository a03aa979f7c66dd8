import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export type History = temporal.api.history.v1.IHistory;

/**
 * A workflow run's history exactly as the server stores it (payloads still encrypted), page by page.
 * The one download path for the replay tooling, the fixtures and the privacy tests; decoding is the
 * replayer's job (it gets the same data converter as the worker).
 */
export async function downloadHistory(
  client: Client,
  execution: { workflowId: string; runId?: string },
): Promise<History> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution,
      nextPageToken,
      maximumPageSize: 1000,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

/** The history's protobuf bytes: what Temporal stores, for scanning it for anything in clear. */
export const historyBytes = (history: History): Buffer =>
  Buffer.from(temporal.api.history.v1.History.encode(history).finish());

/** Every workflow type Troupe registers (workflows/index.ts), for tools that select histories by type. */
export const TROUPE_WORKFLOW_TYPES = ['leadWorkflow', 'bookingWorkflow', 'paymentWorkflow'] as const;

export interface HistorySelection {
  /** Workflow types to take (default: all of Troupe's, `limit` each, unless `query` is given). */
  types?: string[];
  /** A visibility query (e.g. `LeadStatus = "FAILED"`), ANDed with the other filters. */
  query?: string;
  /** Runs started at or after / before these instants. */
  since?: Date;
  until?: Date;
  /** Most recent runs to take, per type (or in all, with `query` and no types). */
  limit: number;
  /** Include runs still open (their history so far). */
  running?: boolean;
}

const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/** The visibility queries a selection stands for: one per type, or the one query. */
export function selectionQueries(selection: HistorySelection): string[] {
  const filters = [
    ...(selection.query ? [`(${selection.query})`] : []),
    ...(selection.running ? [] : ['ExecutionStatus != "Running"']),
    ...(selection.since ? [`StartTime >= ${quote(selection.since.toISOString())}`] : []),
    ...(selection.until ? [`StartTime < ${quote(selection.until.toISOString())}`] : []),
  ];
  const types = selection.types ?? (selection.query ? [] : [...TROUPE_WORKFLOW_TYPES]);
  if (types.length === 0) return [filters.join(' AND ')];
  return types.map((type) => [`WorkflowType = ${quote(type)}`, ...filters].join(' AND '));
}

/**
 * The selected runs with their histories, as the server stores them (newest first per query), for
 * `Worker.runReplayHistories`.
 */
export async function* downloadHistories(
  client: Client,
  selection: HistorySelection,
): AsyncGenerator<{ workflowId: string; runId: string; type: string; history: History }> {
  for (const query of selectionQueries(selection)) {
    let taken = 0;
    for await (const run of client.workflow.list({ query, pageSize: Math.min(selection.limit, 1000) })) {
      if (taken++ >= selection.limit) break;
      const history = await downloadHistory(client, { workflowId: run.workflowId, runId: run.runId });
      yield { workflowId: run.workflowId, runId: run.runId, type: run.type, history };
    }
  }
}
