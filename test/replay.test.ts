import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { loadConfig } from '../config';
import { troupeDataConverter } from '../encryption/data-converter';
import { replaySinks } from '../worker/workflow-bundle';
import { TEST_PAYLOAD_KEYS, TEST_ROTATED_KEY } from './support/encryption';
import { HISTORY_DIR } from './support/histories';
import { withSdkQuiet } from './support/sdk-logs';

// Histories of real runs, saved by `npm run histories:record`, encrypted with the committed test-only
// key. Older generations stay: before-webhooks/ was recorded before this round's patches (the report's
// outcome check, bounded payment waits, kept email failures, webhooks and asynchronous payments),
// before-status-patches/ before the lead status writes and
// the seat-hold change went in behind patched(), pre-encryption/ before payloads were encrypted.
// Replaying them on the current workflow code fails when a change is not deterministic (it would
// break runs in flight).
const fixtures = readdirSync(HISTORY_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string) => JSON.parse(readFileSync(path.join(HISTORY_DIR, file), 'utf8'));
const converter = (keys: string) => troupeDataConverter(loadConfig({ PAYLOAD_ENCRYPTION_KEYS: keys }));
const workflowBundle = { codePath: process.env.TEST_WORKFLOW_BUNDLE ?? '' };

describe('replaying saved histories on the current workflow code', () => {
  it('has a history for every actor × terminal state, and some from before encryption', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining([
        // Lead: COMPLETED, FAILED.
        'lead-completed.json',
        'lead-failed-research.json',
        // Booking: CONFIRMED, CANCELLED (reserved and after confirmation), EXPIRED, FAILED with a refund.
        'booking-declined-then-confirmed.json',
        'booking-cancelled-while-reserved.json',
        'booking-cancelled-after-confirm.json',
        'booking-expired.json',
        'booking-failed-hold-lost-refunded.json',
        // Payment: CAPTURED, REFUNDED, PARTIALLY_REFUNDED, DECLINED, FAILED.
        'payment-authorized-then-captured.json',
        'payment-captured-refunded.json',
        'payment-refunded-in-parts.json',
        'payment-refunded-after-hold-lost.json',
        'payment-partially-refunded.json',
        'payment-declined.json',
        'payment-failed-unknown-method.json',
        // Webhooks and asynchronous methods: approved by the customer, never approved, a capture whose
        // answer was lost settled by its event, a lost webhook settled by reconciliation; and a booking
        // whose payment came too late (refunded).
        'booking-confirmed-after-customer-approval.json',
        'booking-expired-payment-not-completed.json',
        'booking-expired-late-payment-refunded.json',
        'payment-pending-captured-by-webhook.json',
        'payment-pending-voided-never-approved.json',
        'payment-capture-settled-by-webhook.json',
        'payment-pending-settled-by-reconciliation.json',
        // Lead import: a run continued as new that was paused and resumed, and a cancelled one.
        'lead-import-paused-resumed.json',
        'lead-import-cancelled.json',
        // Recorded before this round's patches.
        'before-webhooks/lead-completed.json',
        'before-webhooks/booking-declined-then-confirmed.json',
        'before-webhooks/payment-captured-refunded.json',
        // Recorded before the lead status and seat-hold changes behind patched() (the old shape of runs still open).
        'before-status-patches/lead-completed.json',
        'before-status-patches/booking-cancelled-after-confirm.json',
        'before-status-patches/booking-expired.json',
        'before-status-patches/payment-partially-refunded.json',
        'pre-encryption/lead-completed.json',
        'pre-encryption/booking-cancelled-after-confirm.json',
        'pre-encryption/payment-captured-refunded.json',
      ]),
    );
  });

  it('the recorded corpus really is encrypted (the pre-encryption one really is not)', () => {
    const text = (file: string) => readFileSync(path.join(HISTORY_DIR, file), 'utf8');
    const encoding = Buffer.from('binary/encrypted').toString('base64');
    expect(text('lead-completed.json')).toContain(encoding);
    expect(text('pre-encryption/lead-completed.json')).not.toContain(encoding);
  });

  it.each(fixtures)('%s replays without non-determinism', async (file) => {
    await Worker.runReplayHistory(
      { workflowBundle, dataConverter: converter(TEST_PAYLOAD_KEYS), sinks: replaySinks() },
      load(file),
      file,
    );
  });

  it('after a key rotation (new key first, old key kept), the old histories still replay', async () => {
    await Worker.runReplayHistory(
      {
        workflowBundle,
        dataConverter: converter(`${TEST_ROTATED_KEY},${TEST_PAYLOAD_KEYS}`),
        sinks: replaySinks(),
      },
      load('lead-completed.json'),
      'lead-completed',
    );
  });

  it('without the key they were written with, they do not', async () => {
    await expect(
      withSdkQuiet(() =>
        Worker.runReplayHistory(
          { workflowBundle, dataConverter: converter(TEST_ROTATED_KEY), sinks: replaySinks() },
          load('lead-completed.json'),
          'lead-completed',
        ),
      ),
    ).rejects.toThrow();
  });

  it('catches an incompatible change to a workflow', async () => {
    const broken = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/nondeterministic-lead-workflow'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    await expect(
      withSdkQuiet(() =>
        Worker.runReplayHistory(
          { workflowBundle: broken, dataConverter: converter(TEST_PAYLOAD_KEYS), sinks: replaySinks() },
          load('lead-completed.json'),
          'lead-completed',
        ),
      ),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
