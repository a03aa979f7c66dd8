// The run's report: the reconciliation table, latency POST→final per fault kind, the machine's load.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppliedFault } from './faults';
import { MUST_BE_ZERO, type Reconciliation } from './reconcile';
import type { Started } from './workload';

export interface LatencyRow {
  during: string;
  workflows: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number)
    : null;

/** POST→final latency of the workflows whose POST fell in each kind of fault window, and in none. */
export function latencyByFault(records: Started[], faults: AppliedFault[]): LatencyRow[] {
  const groups = new Map<string, number[]>();
  for (const record of records) {
    if (record.finalAt === undefined) continue;
    // A kill or a restart affects what runs for a while after it: count 15 s after the part is back.
    const during = faults.find(
      (f) =>
        record.postAt >= f.startedAt &&
        record.postAt <= f.endedAt + (f.kind === 'kill' || f.kind === 'temporal' ? 15_000 : 0),
    );
    const key = record.burst
      ? 'burst (at once)'
      : during
        ? `${during.kind}${['kill', 'temporal'].includes(during.kind) ? '' : ` ${during.target}`}`
        : 'no fault';
    groups.set(key, [...(groups.get(key) ?? []), record.finalAt - record.postAt]);
  }
  return [...groups.entries()]
    .map(([during, values]) => {
      const sorted = values.sort((a, b) => a - b);
      return {
        during,
        workflows: sorted.length,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
      };
    })
    .sort((a, b) =>
      a.during === 'no fault' ? -1 : b.during === 'no fault' ? 1 : a.during.localeCompare(b.during),
    );
}

export interface Report {
  seed: number;
  command: string;
  startedAt: string;
  durationSeconds: number;
  loadAverage: { start: number[]; end: number[] };
  reconciliation: Reconciliation;
  latency: LatencyRow[];
  faults: AppliedFault[];
  workflows: Started[];
}

export const failedRows = (r: Reconciliation) => MUST_BE_ZERO.filter((row) => r[row] !== 0);

/** Prints the table and writes `<dir>/<seed>.json`; returns the JSON's path. */
export function writeReport(report: Report, dir: string, print: (line: string) => void): string {
  const r = report.reconciliation;
  const rows: [string, number | string, boolean][] = [
    ['started', r.started, false],
    ['acknowledged by the API', r.acknowledged, false],
    ['completed', r.completed, false],
    ...Object.entries(r.failedByReason).map(([reason, n]): [string, number, boolean] => [
      `failed: ${reason}`,
      n,
      false,
    ]),
    ['lost', r.lost, true],
    ['stuck (not finished 2 min after faults stop)', r.stuck, true],
    ['Temporal and MySQL disagreeing', r.temporalMysqlDisagreeing, true],
    ['report emails received', r.reportEmails, false],
    ['report emails resent, same Message-ID (the at-least-once window)', r.duplicateReportEmails, false],
    ['report emails resent without a counted takeover', r.unexplainedDuplicateEmails, true],
    ['completed leads without their report email', r.completedLeadsWithoutReport, true],
    ['refunds applied ≠ refunds asked for', r.refundsNotAsRequested, true],
    ['duplicate captures', r.duplicateCaptures, true],
    ['refunds above capture', r.refundsAboveCapture, true],
    ['seats held by two bookings', r.seatsHeldByTwoBookings, true],
    ['seats still held by finished bookings', r.seatsHeldByFinishedBookings, true],
    ['ledger and MySQL disagreeing', r.ledgerMysqlDisagreeing, true],
    ['webhook events lost (acknowledged, not stored)', r.webhookEventsLost, true],
    ['webhook events still undelivered', r.webhookEventsUndelivered, false],
    ['payments settled twice (ledger)', r.paymentsSettledTwice, true],
    ['outbound webhook requests received by the subscriber', r.outboundRequests, false],
    ['outbound events received again, same webhook-id (at least once)', r.outboundDuplicates, false],
    ['business events not delivered to a live subscriber', r.outboundEventsNotDelivered, true],
    ['events delivered with a different id than their first attempt', r.outboundEventIdsChanged, true],
    ['outbound webhooks whose signature does not verify', r.outboundSignaturesInvalid, true],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  print(
    `\nChaos run, seed ${report.seed} (${report.durationSeconds} s, load average ${report.loadAverage.end.map((l) => l.toFixed(2)).join(' ')})`,
  );
  for (const [name, value, mustBeZero] of rows) {
    const flag = mustBeZero ? (value === 0 ? '  ok (must be 0)' : '  FAIL (must be 0)') : '';
    print(`  ${name.padEnd(width)}  ${String(value).padStart(5)}${flag}`);
  }
  const applied = new Map<string, number>();
  for (const f of report.faults) {
    const name = f.error
      ? `${f.kind} (failed: ${f.error})`
      : f.kind === 'mysql'
        ? `mysql cut ${Math.round((f.endedAt - f.startedAt) / 1000)} s`
        : f.kind;
    applied.set(name, (applied.get(name) ?? 0) + 1);
  }
  print(`\nFaults applied: ${[...applied].map(([name, n]) => `${name} ×${n}`).join(', ')}`);
  print('\nPOST → final state, by what was happening at the POST');
  for (const row of report.latency) {
    const ms = (v: number | null) => (v === null ? '-' : `${(v / 1000).toFixed(1)} s`);
    print(
      `  ${row.during.padEnd(20)} n=${String(row.workflows).padStart(4)}  p50 ${ms(row.p50Ms).padStart(7)}  p99 ${ms(row.p99Ms).padStart(7)}`,
    );
  }
  for (const line of r.problems.slice(0, 30)) print(`  ! ${line}`);
  for (const line of r.notes.slice(0, 10)) print(`  · ${line}`);
  const surprises = report.workflows.filter((w) => w.clientError);
  print(`\nClient-side surprises (answers a client did not expect, or gave up): ${surprises.length}`);
  for (const w of surprises.slice(0, 20)) print(`  ? #${w.n} ${w.scenario} ${w.id ?? ''}: ${w.clientError}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${report.seed}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  print(`\nJSON: ${file}`);
  return file;
}

export const loadAverage = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
