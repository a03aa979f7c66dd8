// `npm run build`: writes the prebuilt workflow bundle the production worker loads (WORKFLOW_BUNDLE_PATH).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import pino from 'pino';
import { bundleOptions, quietWebpack } from './workflow-bundle';

async function main() {
  const out = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ ...bundleOptions(), logger: quietWebpack(pino()) });
  writeFileSync(out, code);
  console.log(`Workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} kB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
