// A self-hosted Temporal cluster on this machine, set up the way operators do: the server and
// temporal-sql-tool built from Go (tools/cluster/temporal-server.ts), PostgreSQL for persistence and
// visibility, deploy/temporal/setup.sh for databases, schemas, namespace and search attributes, and the
// frontend, history, matching and worker services as separate processes (or one with all of them).
// Used by `npm run cluster` and `npm run test:cluster`.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../local/temporal-cli';
import { ensureTemporalServer, ensureTemporalSqlTool, temporalSchemaDir } from './temporal-server';

export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type Service = (typeof SERVICES)[number];

const ROOT = path.resolve(__dirname, '../..');
const SETUP_SCRIPT = path.join(ROOT, 'deploy/temporal/setup.sh');
const CONFIG_TEMPLATE = path.join(ROOT, 'deploy/temporal/config_template.yaml');
const DYNAMIC_CONFIG = path.join(ROOT, 'deploy/temporal/dynamicconfig/troupe.yaml');

export interface ClusterOptions {
  /** Config, logs, pid files and cluster.json live here. */
  dataDir: string;
  /** One server process with every service instead of one process per service. */
  allInOne?: boolean;
  /** The frontend's gRPC port; a free one when unset. */
  port?: number;
  namespace?: string;
  postgres?: { host?: string; port?: number; user?: string; password?: string };
  /** Temporal's own databases (PostgreSQL). */
  database?: string;
  visibilityDatabase?: string;
  log?: (line: string) => void;
}

/** What `up` wrote to `<dataDir>/cluster.json`: enough for `status`, `down` and restarts. */
export interface ClusterState {
  address: string;
  namespace: string;
  allInOne: boolean;
  env: Record<string, string>;
  server: string;
  pids: Partial<Record<Service | 'all', number>>;
  timings: { binariesMs: number; schemaMs: number; servicesMs: number; namespaceMs: number; totalMs: number };
}

/**
 * A free TCP port below 32768: the SQL schema stores membership ports as SMALLINT, so the kernel's
 * ephemeral ports (what port 0 gives) are out of range.
 */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

const statePath = (dataDir: string) => path.join(dataDir, 'cluster.json');

export function readClusterState(dataDir: string): ClusterState | undefined {
  const file = statePath(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterState) : undefined;
}

const writeState = (dataDir: string, state: ClusterState) =>
  writeFileSync(statePath(dataDir), `${JSON.stringify(state, null, 2)}\n`);

function runSetup(phase: 'schema' | 'namespace', env: Record<string, string>, log: (l: string) => void) {
  const result = spawnSync('sh', [SETUP_SCRIPT, phase], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  for (const line of `${result.stdout}`.split('\n')) if (line.trim()) log(line);
  if (result.status !== 0)
    throw new Error(`setup.sh ${phase} failed (exit ${result.status}):\n${result.stderr}`);
}

/** Starts one server process (one service, or all with `service` unset), detached, logging to a file. */
function startProcess(state: Pick<ClusterState, 'server' | 'env'>, dataDir: string, service?: Service) {
  const name = service ?? 'all';
  const out = openSync(path.join(dataDir, 'logs', `${name}.log`), 'a');
  const args = ['--root', dataDir, '--config', 'config', '--env', 'troupe', '--allow-no-auth', 'start'];
  if (service) args.push('--service', service);
  const child: ChildProcess = spawn(state.server, args, {
    env: { ...process.env, ...state.env },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new Error(`Could not start the Temporal ${name} service`);
  return child.pid;
}

/** Waits until the frontend answers (and, with `health`, reports SERVING, i.e. it reaches history). */
export async function waitForFrontend(address: string, timeoutMs = 90_000, health = true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        if (health) {
          const { status } = await connection.healthService.check({});
          if (status !== 1) throw new Error(`health status ${status}`);
        }
      } finally {
        await connection.close();
      }
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`Temporal frontend at ${address} not healthy in ${timeoutMs / 1000} s: ${err}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Builds (first run only) or finds the binaries, sets up the databases, starts and configures the cluster. */
export async function clusterUp(options: ClusterOptions): Promise<ClusterState> {
  const log = options.log ?? console.log;
  const { dataDir } = options;
  const t0 = Date.now();
  const server = await ensureTemporalServer(log);
  const sqlTool = await ensureTemporalSqlTool(log);
  const cli = await ensureTemporalCli(log);
  const schemaDir = temporalSchemaDir();
  const binariesMs = Date.now() - t0;

  mkdirSync(path.join(dataDir, 'config'), { recursive: true });
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  // The server reads <root>/<config>/<env>.yaml and renders it as a template (see its first line).
  writeFileSync(path.join(dataDir, 'config', 'troupe.yaml'), readFileSync(CONFIG_TEMPLATE));

  // Unset options fall back to the variables setup.sh and compose use.
  const pg = options.postgres ?? {};
  const fromEnv = process.env;
  const port = options.port ?? (await freeLowPort());
  const ports: Record<string, number> = { FRONTEND_GRPC_PORT: port };
  for (const name of [
    'FRONTEND_HTTP_PORT',
    'FRONTEND_MEMBERSHIP_PORT',
    'HISTORY_GRPC_PORT',
    'HISTORY_MEMBERSHIP_PORT',
    'MATCHING_GRPC_PORT',
    'MATCHING_MEMBERSHIP_PORT',
    'WORKER_GRPC_PORT',
    'WORKER_MEMBERSHIP_PORT',
    'PROMETHEUS_PORT',
  ]) {
    ports[name] = await freeLowPort();
  }
  const address = `127.0.0.1:${port}`;
  const namespace = options.namespace ?? 'default';
  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    POSTGRES_SEEDS: pg.host ?? fromEnv.POSTGRES_SEEDS ?? '127.0.0.1',
    DB_PORT: String(pg.port ?? fromEnv.DB_PORT ?? 5432),
    POSTGRES_USER: pg.user ?? fromEnv.POSTGRES_USER ?? 'postgres',
    POSTGRES_PWD: pg.password ?? fromEnv.POSTGRES_PWD ?? '',
    DBNAME: options.database ?? fromEnv.DBNAME ?? 'temporal',
    VISIBILITY_DBNAME: options.visibilityDatabase ?? fromEnv.VISIBILITY_DBNAME ?? 'temporal_visibility',
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG,
    TEMPORAL_LOG_LEVEL: process.env.TEMPORAL_LOG_LEVEL ?? 'warn',
    SQL_TOOL: sqlTool,
    SCHEMA_DIR: schemaDir,
    TEMPORAL_CLI: cli,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
  };

  const t1 = Date.now();
  runSetup('schema', env, log);
  const schemaMs = Date.now() - t1;

  const t2 = Date.now();
  const state: ClusterState = {
    address,
    namespace,
    allInOne: Boolean(options.allInOne),
    env,
    server,
    pids: {},
    timings: { binariesMs, schemaMs, servicesMs: 0, namespaceMs: 0, totalMs: 0 },
  };
  if (options.allInOne) state.pids.all = startProcess(state, dataDir);
  else state.pids.frontend = startProcess(state, dataDir, 'frontend');
  writeState(dataDir, state);
  try {
    if (!options.allInOne) {
      // One at a time at first: each process records the cluster's metadata on start, and two doing it at
      // once fail with a version mismatch. The frontend answers on its own before the others join.
      await waitForFrontend(address, 30_000, false);
      for (const service of SERVICES.slice(1)) state.pids[service] = startProcess(state, dataDir, service);
      writeState(dataDir, state);
    }
    await waitForFrontend(address);
    state.timings.servicesMs = Date.now() - t2;
    const t3 = Date.now();
    runSetup('namespace', env, log);
    state.timings.namespaceMs = Date.now() - t3;
  } catch (err) {
    clusterDown(dataDir);
    throw new Error(`${(err as Error).message}\n(server logs in ${path.join(dataDir, 'logs')})`);
  }
  state.timings.totalMs = Date.now() - t0;
  writeState(dataDir, state);
  return state;
}

const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGKILL one service (no goodbye to the ring, as a crash): the cluster must carry on without it. */
export function killService(dataDir: string, service: Service): void {
  const state = readClusterState(dataDir);
  const pid = state?.pids[service];
  if (!state || !pid) throw new Error(`No ${service} process in ${statePath(dataDir)} (all-in-one cluster?)`);
  process.kill(pid, 'SIGKILL');
  state.pids[service] = undefined;
  writeState(dataDir, state);
}

export function restartService(dataDir: string, service: Service): void {
  const state = readClusterState(dataDir);
  if (!state) throw new Error(`No cluster in ${dataDir}`);
  if (alive(state.pids[service])) return;
  state.pids[service] = startProcess(state, dataDir, service);
  writeState(dataDir, state);
}

export interface ClusterStatus {
  address: string;
  processes: Record<string, 'running' | 'stopped'>;
  healthy: boolean;
}

export async function clusterStatus(dataDir: string): Promise<ClusterStatus | undefined> {
  const state = readClusterState(dataDir);
  if (!state) return undefined;
  const processes = Object.fromEntries(
    Object.entries(state.pids).map(([name, pid]) => [name, alive(pid) ? 'running' : 'stopped']),
  ) as ClusterStatus['processes'];
  const healthy = await waitForFrontend(state.address, 2_000).then(
    () => true,
    () => false,
  );
  return { address: state.address, processes, healthy };
}

/** Stops every service process (SIGTERM, then SIGKILL after 10 s). The databases are kept. */
export async function clusterDownAndWait(dataDir: string): Promise<void> {
  const pids = clusterDown(dataDir);
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
}

function clusterDown(dataDir: string): number[] {
  const state = readClusterState(dataDir);
  if (!state) return [];
  const pids = Object.values(state.pids).filter((pid): pid is number => alive(pid));
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  state.pids = {};
  writeState(dataDir, state);
  return pids;
}
