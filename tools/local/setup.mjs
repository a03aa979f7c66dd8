// Runs before `npm start` and `npm test` (prestart/pretest) with nothing but Node: installs the
// dependencies when they are missing or older than package-lock.json, then makes sure the Temporal
// CLI is there (building it once with Go if need be) unless TEMPORAL_ADDRESS names a server to use.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const mode = process.argv[2] ?? 'start';
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

try {
  process.loadEnvFile(path.join(root, '.env'));
} catch {
  // No .env: defaults and the environment apply.
}

const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log('Installing dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

if (mode === 'test' || !process.env.TEMPORAL_ADDRESS) {
  try {
    run(process.execPath, ['--import', 'tsx', 'tools/local/temporal-cli.ts']);
  } catch {
    process.exit(1);
  }
}
