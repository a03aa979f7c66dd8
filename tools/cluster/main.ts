// `npm run cluster -- up|down|status [--all-in-one] [--port N]`: a self-hosted Temporal cluster on
// PostgreSQL (see cluster.ts). `up` leaves the services running in the background; `down` stops them.
// Files (config, logs, pids) go to $DATA_DIR/temporal-cluster (default ./data/temporal-cluster).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { clusterDownAndWait, clusterStatus, clusterUp, readClusterState } from './cluster';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'all-in-one': { type: 'boolean' }, port: { type: 'string' } },
  });
  const command = positionals[0] ?? 'status';
  const dataDir = path.resolve(process.env.DATA_DIR ?? 'data', 'temporal-cluster');
  const port = values.port === undefined ? 7233 : Number(values.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`--port must be a TCP port, got ${values.port}`);

  if (command === 'up') {
    const running = await clusterStatus(dataDir);
    if (running?.healthy) {
      console.log(`A cluster already runs at ${running.address} (npm run cluster -- down to stop it).`);
      return;
    }
    // Whatever is left of an earlier cluster that no longer answers (a crashed service) is stopped first.
    await clusterDownAndWait(dataDir);
    const state = await clusterUp({
      dataDir,
      port,
      allInOne: values['all-in-one'],
      namespace: process.env.TEMPORAL_NAMESPACE,
      // PostgreSQL: POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD, DBNAME, VISIBILITY_DBNAME.
    });
    const t = state.timings;
    console.log(
      `\nTemporal cluster up at ${state.address} (namespace ${state.namespace}; ` +
        `${state.allInOne ? 'one process, all services' : 'frontend, history, matching, worker processes'})\n` +
        `  binaries ${seconds(t.binariesMs)} · schema ${seconds(t.schemaMs)} · services ${seconds(t.servicesMs)} · ` +
        `namespace ${seconds(t.namespaceMs)} · total ${seconds(t.totalMs)}\n` +
        `  logs: ${path.join(dataDir, 'logs')}\n` +
        `  use it: TEMPORAL_ADDRESS=${state.address} npm start`,
    );
  } else if (command === 'down') {
    if (!readClusterState(dataDir)) console.log('No cluster was started from here.');
    await clusterDownAndWait(dataDir);
    console.log('Temporal cluster stopped (its PostgreSQL databases are kept).');
  } else if (command === 'status') {
    const status = await clusterStatus(dataDir);
    if (!status) console.log('No cluster was started from here (npm run cluster -- up).');
    else {
      console.log(`${status.address}: ${status.healthy ? 'healthy' : 'NOT answering'}`);
      for (const [name, state] of Object.entries(status.processes)) console.log(`  ${name}: ${state}`);
      if (!status.healthy) process.exitCode = 1;
    }
  } else {
    throw new Error(`Unknown command "${command}": use up, down or status`);
  }
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
