// Finds the Temporal CLI (which embeds the dev server and Web UI), building it once if need be.
// Order: TEMPORAL_CLI, `temporal` on PATH, the cache, else `go install` into the cache.
import { ensureGoTool, findGoTool, type GoTool } from './go-tools';

/** v1.5.1 is the newest tag without `replace` directives; later tags refuse `go install`. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export const TEMPORAL_CLI: GoTool = {
  title: 'the Temporal CLI',
  pkg: 'github.com/temporalio/cli/cmd/temporal',
  version: TEMPORAL_CLI_VERSION,
  binary: 'temporal',
  cacheName: 'temporal-cli',
  envVar: 'TEMPORAL_CLI',
  onPath: 'temporal',
  installHint:
    'Install it from https://docs.temporal.io/cli#install (or `brew install temporal`) and put it on PATH, ' +
    'or point TEMPORAL_ADDRESS at a Temporal server you already run.',
};

/** The CLI if it is already here (PATH, TEMPORAL_CLI or the cache); nothing is built. */
export const findTemporalCli = (): string | undefined => findGoTool(TEMPORAL_CLI);

export const ensureTemporalCli = (log?: (line: string) => void): Promise<string> =>
  ensureGoTool(TEMPORAL_CLI, log);

if (require.main === module) {
  ensureTemporalCli()
    .then((cli) => console.log(`Temporal CLI: ${cli}`))
    .catch((err) => {
      console.error((err as Error).message);
      process.exit(1);
    });
}
