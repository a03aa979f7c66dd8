import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { HISTORY_DIR } from './support/histories';

// Histories of real runs, saved by `npm run histories:record`. Replaying them on the current workflow
// code fails when a change is not deterministic (it would break runs already in flight).
const fixtures = readdirSync(HISTORY_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string) => JSON.parse(readFileSync(path.join(HISTORY_DIR, file), 'utf8'));

describe('replaying saved histories on the current workflow code', () => {
  it('has a history for every actor outcome we guard', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining([
        'lead-completed.json',
        'lead-failed-research.json',
        'booking-cancelled-after-confirm.json',
        'booking-declined-then-confirmed.json',
        'booking-expired.json',
        'payment-captured-refunded.json',
        'payment-refunded-in-parts.json',
      ]),
    );
  });

  it.each(fixtures)('%s replays without non-determinism', async (file) => {
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE ?? '' } },
      load(file),
      file,
    );
  });

  it('catches an incompatible change to a workflow', async () => {
    const broken = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/nondeterministic-lead-workflow'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: broken }, load('lead-completed.json'), 'lead-completed'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
