import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findTemporalCli } from '../../tools/local/temporal-cli';

export const HISTORY_DIR = path.resolve(__dirname, '../fixtures/histories');

/**
 * With RECORD_HISTORIES=1 (`npm run histories:record`), saves a run's history (so far) as a replay
 * fixture, as the server stores it — encrypted with the test-only key (support/encryption.ts) — in
 * the JSON format of `temporal workflow show --output json` and the Web UI's download.
 * Keep old fixtures while runs of that shape may still be open in production: the replay test
 * proves new workflow code can still continue them.
 */
export function recordHistory(workflowId: string, name: string): void {
  if (!process.env.RECORD_HISTORIES) return;
  const json = execFileSync(
    findTemporalCli() ?? 'temporal',
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--output',
      'json',
      '--address',
      process.env.TEST_TEMPORAL_ADDRESS ?? '',
    ],
    { encoding: 'utf8' },
  );
  mkdirSync(HISTORY_DIR, { recursive: true });
  writeFileSync(path.join(HISTORY_DIR, `${name}.json`), json);
}
