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
