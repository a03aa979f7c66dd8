import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import webpack from 'webpack';
import { loadConfig } from '../../config';
import { troupeDataConverter } from '../../encryption/data-converter';
import { replaySinks } from '../../worker/workflow-bundle';
import { TEST_PAYLOAD_KEYS } from '../support/encryption';
import { HISTORY_DIR } from '../support/histories';
import { withSdkQuiet } from '../support/sdk-logs';

// The worked versioning example: lead status writes moved from scheduled to local activities. The
// change alters the workflow's commands, so it ships behind patched() (workflows/lead/versions.ts).
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const dataConverter = troupeDataConverter(loadConfig({ PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_KEYS }));
const history = JSON.parse(
  readFileSync(path.join(HISTORY_DIR, 'before-status-patches/lead-completed.json'), 'utf8'),
);

describe('changing the lead workflow: with patched() old histories replay, without it they break', () => {
  it('the lead workflow as shipped (with patched()) replays a history recorded before the change', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows/lead/workflow'),
      logger: quiet,
    });
    await Worker.runReplayHistory(
      { workflowBundle: bundle, dataConverter, sinks: replaySinks() },
      history,
      'lead-completed',
    );
  }, 60_000);

  it('the same change without patched() fails that replay with a DeterminismViolation', async () => {
    const unpatched = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows/lead/workflow'),
      logger: quiet,
      webpackConfigHook: (config) => ({
        ...config,
        plugins: [
          ...(config.plugins ?? []),
          new webpack.NormalModuleReplacementPlugin(
            /^\.\/versions$/,
            require.resolve('../fixtures/lead-versions-unpatched'),
          ),
        ],
      }),
    });
    await expect(
      withSdkQuiet(() =>
        Worker.runReplayHistory(
          { workflowBundle: unpatched, dataConverter, sinks: replaySinks() },
          history,
          'lead-completed',
        ),
      ),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  }, 60_000);
});
