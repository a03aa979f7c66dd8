// `npm start`: the whole of Troupe on one machine. Starts the Temporal dev server (unless
// TEMPORAL_ADDRESS names one), migrates MySQL, starts the worker and the API as child processes with
// prefixed logs, prints where everything is, and stops it all on Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfigOrExit } from '../config/entrypoint';
import { openDatabase } from '../db/migrate';
import { seedDemoInventory } from '../db/seed';
import { describePayloadKeys } from '../encryption/data-converter';
import { type DevServer, startDevServer } from './dev-server';
import { ensureTemporalCli } from './temporal-cli';

const COLORS = { temporal: 35, gateway: 34, worker: 36, api: 32, start: 33 } as const;
// `worker-2` is coloured as a worker.
type Name = string;
const color = (name: Name) => COLORS[name.replace(/-\d+$/, '') as keyof typeof COLORS] ?? 0;
const tty = process.stdout.isTTY;
const prefix = (name: Name) => (tty ? `\x1b[${color(name)}m[${name}]\x1b[0m` : `[${name}]`);
const say = (name: Name, line: string) => process.stdout.write(`${prefix(name)} ${line}\n`);

function spawnPart(name: Name, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: path.resolve(__dirname, '..'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only this supervisor, which stops the parts in order.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => say(name, line));
  }
  return child;
}

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('start');
  const started = Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
    ...(tty && { FORCE_COLOR: '1' }),
  };
  const children: { name: Name; child: ChildProcess }[] = [];
  let devServer: DevServer | undefined;
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('start', 'Stopping…');
    // API first (stop taking work), then the worker (drain), then the server they talk to.
    for (const { child } of [...children].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      }
    }
    await devServer?.stop();
    say('start', 'Stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    say('start', describePayloadKeys(config).message);
    if (!config.temporal.address) {
      const cli = await ensureTemporalCli((line) => say('start', line));
      const { port, uiPort } = config.temporal.devServer;
      devServer = await startDevServer({
        cli,
        port,
        uiPort,
        dbFile: path.resolve(config.dataDir, 'temporal.db'),
        namespace: config.temporal.namespace,
        // The Web UI decrypts through the API's codec endpoints (loopback only without credentials).
        codecEndpoint: `http://localhost:${config.http.port}/codec`,
        // Its shutdown chatter is noise once we are stopping.
        output: (line) => stopping || say('temporal', line),
      });
      env.TEMPORAL_ADDRESS = devServer.address;
      say('start', `Temporal dev server on ${devServer.address} (state in ${config.dataDir}/temporal.db)`);
    }

    const db = await openDatabase(config);
    const { shows } = await seedDemoInventory(db);
    await db.destroy();
    if (shows > 0) say('start', `Seeded the demo inventory with ${shows} upcoming shows`);
    // Migrations ran once here; the parts need not race to do it again.
    env.MIGRATE_ON_START = 'false';

    // Each worker gets its own Prometheus port: METRICS_PORT, METRICS_PORT + 1, …
    const workers = Array.from({ length: config.workers }, (_, i) => ({
      name: config.workers === 1 ? 'worker' : `worker-${i + 1}`,
      metricsPort: config.metricsPort + i,
    }));
    const parts: [Name, string, NodeJS.ProcessEnv][] = [
      ...(config.payments.runSandbox
        ? [['gateway', 'gateway/main.ts', env] as [Name, string, NodeJS.ProcessEnv]]
        : []),
      ...workers.map(
        (w) =>
          [w.name, 'worker/main.ts', { ...env, METRICS_PORT: String(w.metricsPort) }] as [
            Name,
            string,
            NodeJS.ProcessEnv,
          ],
      ),
      ['api', 'api/main.ts', env],
    ];
    for (const [name, entry, partEnv] of parts) {
      const child = spawnPart(name, entry, partEnv);
      children.push({ name, child });
      child.on('exit', (code, signal) => {
        if (stopping) return;
        say('start', `${name} exited (${signal ?? code}); stopping everything`);
        void stopAll(1);
      });
    }

    const api = `http://localhost:${config.http.port}`;
    await waitForReady(`${api}/readyz`, 120_000);
    // The dev server's own UI, else the cluster's (TEMPORAL_UI_URL): the same link either way.
    const uiBase = devServer?.uiUrl ?? config.temporal.uiUrl;
    const ui = uiBase
      ? `${uiBase}/namespaces/${config.temporal.namespace}/workflows`
      : "your Temporal cluster's Web UI (set TEMPORAL_UI_URL to link it)";
    say('start', `Troupe is ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    say('start', `  API     ${api}/api/v1`);
    say('start', `  Docs    ${api}/docs`);
    say('start', `  Web UI  ${ui}`);
    say(
      'start',
      `  Codec   ${api}/codec (the Web UI decodes payloads through it; Temporal stores ciphertext)`,
    );
    say('start', `  Metrics ${api}/metrics (API)`);
    for (const w of workers) say('start', `          http://localhost:${w.metricsPort}/metrics (${w.name})`);
    if (config.payments.runSandbox) say('start', `  Sandbox payment gateway ${config.payments.gatewayUrl}`);
    say('start', 'Press Ctrl-C to stop.');
  } catch (err) {
    say('start', `Could not start: ${(err as Error).message}`);
    await stopAll(1);
  }
}

void main();
