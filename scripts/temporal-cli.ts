// Finds the Temporal CLI (which embeds the dev server and Web UI), building it once if need be.
// Order: TEMPORAL_CLI, `temporal` on PATH, the cache, else `go install` into the cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** v1.5.1 is the newest tag without `replace` directives; later tags refuse `go install`. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

export const cacheDir = () =>
  path.join(
    process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    'troupe',
    'temporal-cli',
    TEMPORAL_CLI_VERSION,
  );

function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

export function findTemporalCli(): string | undefined {
  const configured = process.env.TEMPORAL_CLI;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`TEMPORAL_CLI=${configured} does not exist`);
    return configured;
  }
  const cached = path.join(cacheDir(), 'temporal');
  return onPath('temporal') ?? (existsSync(cached) ? cached : undefined);
}

export function ensureTemporalCli(log: (line: string) => void = console.log): string {
  const found = findTemporalCli();
  if (found) return found;
  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'The Temporal CLI is needed to run the local Temporal server and was not found.\n' +
        '  Install it from https://docs.temporal.io/cli#install (or `brew install temporal`) and put it on PATH,\n' +
        '  set TEMPORAL_CLI=/path/to/temporal, or install Go so it can be built from source,\n' +
        '  or point TEMPORAL_ADDRESS at a Temporal server you already run.',
    );
  }
  const target = cacheDir();
  mkdirSync(target, { recursive: true });
  log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${target} (first run only, a few minutes)…`,
  );
  // Build into a private dir, then rename: a concurrent run never sees half a binary.
  const staging = mkdtempSync(path.join(target, 'build-'));
  try {
    execFileSync(go, ['install', `${MODULE}@${TEMPORAL_CLI_VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
    });
    renameSync(path.join(staging, 'temporal'), path.join(target, 'temporal'));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log('Temporal CLI ready.');
  return path.join(target, 'temporal');
}

if (require.main === module) {
  try {
    console.log(`Temporal CLI: ${ensureTemporalCli()}`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
