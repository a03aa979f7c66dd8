// `npm run test:ui [-- --update-screenshots] [jest arguments]`: the browser tests (test/ui) under their
// own jest config. --update-screenshots rewrites docs/screenshots/*.png; otherwise the screenshots go to
// UI_SCREENSHOT_DIR (default: a folder under the system temp dir, printed at the end).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const args = process.argv.slice(2);
const update = args.includes('--update-screenshots');
const jestArgs = args.filter((a) => a !== '--update-screenshots');
const root = path.resolve(__dirname, '../..');
const result = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest'), '-c', 'jest.ui.config.js', ...jestArgs],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...(update && { UI_UPDATE_SCREENSHOTS: '1' }) },
  },
);
process.exit(result.status ?? 1);
