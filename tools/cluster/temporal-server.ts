// Finds the Temporal server and its SQL schema tool (temporal-sql-tool), building them once if need be,
// and the versioned schema files the tool applies. Used by `npm run cluster` and `npm run test:cluster`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureGoTool, type GoTool } from '../local/go-tools';

/** Matches the CLI's embedded dev server (tools/local/temporal-cli.ts); its go.mod has no `replace`. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

const installHint =
  'Download the Temporal server release archive from https://github.com/temporalio/temporal/releases ' +
  '(it holds temporal-server and temporal-sql-tool), or point TEMPORAL_ADDRESS at a cluster you run.';

export const TEMPORAL_SERVER: GoTool = {
  title: 'the Temporal server',
  pkg: 'go.temporal.io/server/cmd/server',
  version: TEMPORAL_SERVER_VERSION,
  binary: 'server',
  cacheName: 'temporal-server',
  envVar: 'TEMPORAL_SERVER',
  onPath: 'temporal-server',
  installHint,
};

export const TEMPORAL_SQL_TOOL: GoTool = {
  title: 'temporal-sql-tool',
  pkg: 'go.temporal.io/server/cmd/tools/sql',
  version: TEMPORAL_SERVER_VERSION,
  binary: 'sql',
  cacheName: 'temporal-server',
  envVar: 'TEMPORAL_SQL_TOOL',
  onPath: 'temporal-sql-tool',
  installHint,
};

export const ensureTemporalServer = (log?: (line: string) => void) => ensureGoTool(TEMPORAL_SERVER, log);
export const ensureTemporalSqlTool = (log?: (line: string) => void) => ensureGoTool(TEMPORAL_SQL_TOOL, log);

/**
 * The server module's `schema/` folder (postgresql/v12/{temporal,visibility}/versioned, …):
 * TEMPORAL_SCHEMA_DIR if set, else the Go module cache (`go mod download` fetches it once, quickly).
 */
export function temporalSchemaDir(): string {
  const configured = process.env.TEMPORAL_SCHEMA_DIR;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`TEMPORAL_SCHEMA_DIR=${configured} does not exist`);
    return configured;
  }
  const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
  const module = `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`;
  const found = spawnSync(go, ['mod', 'download', '-json', module], { encoding: 'utf8' });
  const dir = found.status === 0 ? (JSON.parse(found.stdout) as { Dir?: string }).Dir : undefined;
  if (!dir) {
    throw new Error(
      `Could not find the schema files of ${module} (go mod download: ${found.error?.message ?? found.stderr.trim()}). ` +
        'Set TEMPORAL_SCHEMA_DIR to the schema/ folder of the Temporal server sources.',
    );
  }
  return path.join(dir, 'schema');
}

if (require.main === module) {
  // One after the other: both come from the same module, the second build reuses the first's cache.
  (async () => [await ensureTemporalServer(), await ensureTemporalSqlTool()])()
    .then(([server, sql]) => console.log(`Temporal server: ${server}\ntemporal-sql-tool: ${sql}`))
    .catch((err) => {
      console.error((err as Error).message);
      process.exit(1);
    });
}
