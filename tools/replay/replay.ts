// `npm run replay`: the deploy gate. Downloads histories from a live Temporal server (the configured
// TEMPORAL_ADDRESS with its TLS / API key, else the local dev server), decodes them with Troupe's
// codec and replays them against the current workflow code. Exits 1 on any non-determinism.
//
//   npm run replay                          # the 100 most recent closed runs of every Troupe workflow type
//   npm run replay -- --type leadWorkflow --limit 500 --running
//   npm run replay -- --query 'LeadStatus = "FAILED"' --since 7d
//   npm run replay -- --workflows-path ./my-branch/workflows   # replay against other workflow code
import path from 'node:path';
import { parseArgs } from 'node:util';
import { temporal } from '@temporalio/proto';
import {
  bundleWorkflowCode,
  makeTelemetryFilterString,
  Runtime,
  Worker,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { downloadHistories, type History, type HistorySelection } from '../../clients/history';
import { connectClient } from '../../clients/temporal';
import { loadConfigOrExit } from '../../config/entrypoint';
import { troupeDataConverter } from '../../encryption/data-converter';
import { createLogger } from '../../observability/logger';
import { temporalLogger } from '../../observability/temporal-runtime';
import { bundleOptions, quietWebpack, replaySinks, workflowCode } from '../../worker/workflow-bundle';

const USAGE = `Usage: npm run replay -- [--type T]... [--query Q] [--since WHEN] [--until WHEN] [--limit N] [--running]
                        [--workflows-path PATH]
  --type            a workflow type (repeatable); default every Troupe type
  --query           a visibility query, ANDed with the rest (e.g. 'LeadStatus = "FAILED"')
  --since/--until   ISO time, or a span back from now: 30m, 12h, 7d
  --limit           most recent runs per type (in all with --query alone); default 100
  --running         include open runs too (default: closed runs only)
  --workflows-path  replay against this workflows module instead of the current one`;

function when(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const span = /^(\d+)([mhd])$/.exec(value);
  if (span)
    return new Date(Date.now() - Number(span[1]) * { m: 60e3, h: 3600e3, d: 86400e3 }[span[2] as 'm']);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`--${name} ${value}: give an ISO time or a span like 7d`);
  return date;
}

export function parseReplayArgs(argv: string[]): HistorySelection & { workflowsPath?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      type: { type: 'string', multiple: true },
      query: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string', default: '100' },
      running: { type: 'boolean', default: false },
      'workflows-path': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`--limit ${values.limit}: must be a whole number ≥ 1`);
  return {
    types: values.type,
    query: values.query,
    since: when(values.since, 'since'),
    until: when(values.until, 'until'),
    limit,
    running: values.running,
    workflowsPath: values['workflows-path'] && path.resolve(values['workflows-path']),
  };
}

const { EventType } = temporal.api.enums.v1;

/** Core's own sentence about the mismatch, without the wrapping. */
const coreMessage = (message: string) =>
  /message: "([^"]+)"/.exec(message)?.[1] ?? message.split('\n')[0] ?? '';

/**
 * The history event the code diverged at, as "event 7 (ACTIVITY_TASK_SCHEDULED recordLeadStatus)":
 * the event id when core names it, else the first scheduled activity or patch marker it names.
 */
function divergingEvent(message: string, history: History | undefined): string | undefined {
  const events = history?.events ?? [];
  const describe = (e: (typeof events)[number]) => {
    const type = EventType[e.eventType ?? 0]?.replace(/^EVENT_TYPE_/, '') ?? 'event';
    const name =
      e.activityTaskScheduledEventAttributes?.activityType?.name ??
      e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ??
      e.timerStartedEventAttributes?.timerId;
    return `event ${e.eventId} (${type}${name ? ` ${name}` : ''})`;
  };
  const id = /(?:HistoryEvent\(id:\s*|event[ _]id[:= ]\s*)(\d+)/i.exec(message)?.[1];
  const byId = id ? events.find((e) => String(e.eventId) === id) : undefined;
  if (byId) return describe(byId);
  const named = /scheduled event '([^']+)'/.exec(message)?.[1];
  const byName = named
    ? events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === named)
    : undefined;
  if (byName) return describe(byName);
  // A patched() marker the code no longer (or not yet) asks for: the marker event that names it.
  const patch = /patch marker encountered for change ([^,\s]+)/i.exec(message)?.[1];
  const marker = patch
    ? events.find((e) => {
        const details = e.markerRecordedEventAttributes?.details ?? {};
        return Object.values(details).some((p) =>
          (p.payloads ?? []).some((x) =>
            Buffer.from(x.data ?? [])
              .toString()
              .includes(patch),
          ),
        );
      })
    : undefined;
  return marker ? `${describe(marker).slice(0, -1)} patch ${patch})` : undefined;
}

async function main(): Promise<number> {
  const config = loadConfigOrExit('replay');
  const logger = createLogger({ log: { ...config.log, level: 'warn' } }, 'replay');
  // Core logs each replay failure as a warning; the summary below says it once, plainly.
  Runtime.install({
    logger: temporalLogger(createLogger({ log: { ...config.log, level: 'error' } }, 'replay')),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
  let selection: ReturnType<typeof parseReplayArgs>;
  try {
    selection = parseReplayArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`replay: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  const workflowBundle: WorkflowBundleOption = selection.workflowsPath
    ? await bundleWorkflowCode({
        ...bundleOptions(),
        workflowsPath: selection.workflowsPath,
        logger: quietWebpack(logger),
      })
    : ((await workflowCode(logger, config.temporal.workflowBundlePath))
        .workflowBundle as WorkflowBundleOption);

  const client = await connectClient(config, logger, 10_000);
  const histories = new Map<string, { type: string; history: History }>();
  async function* collect() {
    for await (const run of downloadHistories(client, selection)) {
      histories.set(run.workflowId, run);
      yield { workflowId: run.workflowId, history: run.history };
    }
  }

  const failed: string[] = [];
  let replayed = 0;
  let nondeterministic = 0;
  try {
    const results = Worker.runReplayHistories(
      {
        workflowBundle,
        dataConverter: troupeDataConverter(config),
        replayName: 'troupe-replay',
        sinks: replaySinks(),
      },
      collect(),
    );
    for await (const result of results) {
      replayed++;
      if (!result.error) continue;
      const entry = histories.get(result.workflowId);
      const kind = result.error instanceof DeterminismViolationError ? 'NON-DETERMINISTIC' : 'FAILED';
      if (result.error instanceof DeterminismViolationError) nondeterministic++;
      const at = divergingEvent(result.error.message, entry?.history);
      failed.push(
        `  ${kind} ${entry?.type ?? 'workflow'} ${result.workflowId} (run ${result.runId})${at ? ` at ${at}` : ''}\n    ${coreMessage(result.error.message)}`,
      );
    }
  } finally {
    await client.connection.close();
  }

  const target = config.temporal.address ?? 'the local dev server';
  console.log(
    `Replayed ${replayed} histories from ${target} against ${selection.workflowsPath ?? 'the current workflow code'}: ${replayed - failed.length} passed, ${failed.length} failed${nondeterministic ? ` (${nondeterministic} non-deterministic)` : ''}`,
  );
  for (const line of failed) console.log(line);
  if (replayed === 0) console.log('  (no histories matched; nothing was checked)');
  return failed.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`replay: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
