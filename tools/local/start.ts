// `npm start`: the whole of Troupe on one machine. Starts the Temporal dev server (unless
// TEMPORAL_ADDRESS names one), migrates MySQL, starts the gateway, WORKERS workers and the API as
// child processes with prefixed logs, prints where everything is, restarts a part that crashes
// (tools/local/supervisor.ts), and stops it all in order on Ctrl-C / SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfigOrExit } from '../../config/entrypoint';
import { openDatabase } from '../../db/migrate';
import { seedDemoInventory } from '../../db/seed';
import { describePayloadKeys } from '../../encryption/data-converter';
import { type DevServer, type DevServerOptions, startDevServer } from './dev-server';
import { type PartSpec, type Running, Supervisor } from './supervisor';
import { ensureTemporalCli } from './temporal-cli';

const COLORS = { temporal: 35, gateway: 34, worker: 36, api: 32, start: 33 } as const;
// `worker-2` is coloured as a worker.
type Name = string;
const color = (name: Name) => COLORS[name.replace(/-\d+$/, '') as keyof typeof COLORS] ?? 0;
const tty = process.stdout.isTTY;
const prefix = (name: Name) => (tty ? `\x1b[${color(name)}m[${name}]\x1b[0m` : `[${name}]`);
const say = (name: Name, line: string) => process.stdout.write(`${prefix(name)} ${line}\n`);

/** How a child process ended, as the log says it: `SIGKILL`, `code 1`. */
function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
}

/** SIGTERM, then SIGKILL if the process has not ended after `graceMs`. */
function stopChild(child: ChildProcess, exited: Promise<string>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
  return exited.then(() => clearTimeout(kill));
}

/**
 * A Troupe entry point (api/main.ts, worker/main.ts, gateway/main.ts) as a supervised part. Ctrl-C gives
 * it `graceMs` (SHUTDOWN_GRACE_SECONDS plus a margin: a worker's drain) before it is killed.
 */
function nodePart(
  name: Name,
  entry: string,
  env: NodeJS.ProcessEnv,
  graceMs: number,
  healthUrl?: string,
): PartSpec {
  return {
    name,
    ...(healthUrl && { health: { url: healthUrl }, group: 'workers' }),
    async start(output): Promise<Running> {
      const child = spawn(process.execPath, ['--import', 'tsx', entry], {
        cwd: path.resolve(__dirname, '../..'),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Own process group: Ctrl-C reaches only this supervisor, which stops the parts in order.
        detached: true,
      });
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', output);
      }
      const exited = exitOf(child);
      return {
        exited,
        stop: (shorter?: number) => stopChild(child, exited, Math.min(shorter ?? graceMs, graceMs)),
      };
    },
  };
}

/** The Temporal dev server as a supervised part: a restart reopens the same SQLite file and port. */
function devServerPart(options: DevServerOptions, started: (server: DevServer) => void): PartSpec {
  return {
    name: 'temporal',
    async start(output): Promise<Running> {
      const server = await startDevServer({ ...options, output });
      started(server);
      return { exited: exitOf(server.process), stop: (graceMs?: number) => server.stop(graceMs) };
    },
  };
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
  let devServer: DevServer | undefined;
  let stopping = false;
  const supervisor = new Supervisor({
    log: (_part, line) => say('start', line),
    // The dev server's shutdown chatter is noise once we are stopping.
    output: (part, line) => (stopping && part === 'temporal') || say(part, line),
    onGiveUp: (part, reason, lastOutput) => {
      say('start', reason);
      say('start', `Last output of ${part}:`);
      for (const line of lastOutput) say('start', `  ${line}`);
      say('start', 'Stopping everything: Troupe cannot run without it.');
      void stopAll(1);
    },
  });

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('start', 'Stopping…');
    // Reverse start order: the API (stop taking work), the workers together (drain), the gateway,
    // Temporal; all of it within SHUTDOWN_GRACE_SECONDS + 15 s, whatever is stuck.
    await supervisor.stop({ withinMs: (config.shutdownGraceSeconds + 15) * 1000 });
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
      const options: DevServerOptions = {
        cli,
        port,
        uiPort,
        dbFile: path.resolve(config.dataDir, 'temporal.db'),
        namespace: config.temporal.namespace,
        // The Web UI decrypts through the API's codec endpoints (loopback only without credentials).
        codecEndpoint: `http://localhost:${config.http.port}/codec`,
      };
      await supervisor.add(
        devServerPart(options, (server) => {
          devServer = server;
        }),
      );
      if (!devServer) throw new Error('the Temporal dev server did not start');
      env.TEMPORAL_ADDRESS = devServer.address;
      say('start', `Temporal dev server on ${devServer.address} (state in ${config.dataDir}/temporal.db)`);
    }

    const db = await openDatabase(config);
    const { shows } = await seedDemoInventory(db);
    await db.destroy();
    if (shows > 0) say('start', `Seeded the demo inventory with ${shows} upcoming shows`);
    // Migrations ran once here; the parts need not race to do it again.
    env.MIGRATE_ON_START = 'false';

    // Each worker gets its own Prometheus and health ports: METRICS_PORT + i, WORKER_HEALTH_PORT + i.
    const workers = Array.from({ length: config.workers }, (_, i) => ({
      name: config.workers === 1 ? 'worker' : `worker-${i + 1}`,
      metricsPort: config.metricsPort + i,
      healthPort: config.worker.healthPort + i,
    }));
    // A worker drains for up to SHUTDOWN_GRACE_SECONDS and is then forced within 5 s more by the SDK;
    // past that (and 5 s of margin) it is killed. The whole of Ctrl-C never waits longer per part.
    const graceMs = (config.shutdownGraceSeconds + 10) * 1000;
    const parts: PartSpec[] = [
      ...(config.payments.runSandbox
        ? [
            nodePart(
              'gateway',
              'gateway/main.ts',
              {
                ...env,
                // The sandbox sends its signed payment events to this API (unless told otherwise).
                SANDBOX_GATEWAY_WEBHOOK_URLS:
                  env.SANDBOX_GATEWAY_WEBHOOK_URLS ??
                  `http://127.0.0.1:${config.http.port}/api/v1/webhooks/gateway`,
              },
              graceMs,
            ),
          ]
        : []),
      ...workers.map((w) =>
        nodePart(
          w.name,
          'worker/main.ts',
          { ...env, METRICS_PORT: String(w.metricsPort), WORKER_HEALTH_PORT: String(w.healthPort) },
          graceMs,
          `http://127.0.0.1:${w.healthPort}/healthz`,
        ),
      ),
      nodePart('api', 'api/main.ts', env, graceMs),
    ];
    for (const part of parts) await supervisor.add(part);

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
    for (const w of workers)
      say(
        'start',
        `  Health  http://localhost:${w.healthPort}/healthz (${w.name}: restarted when it stops making progress)`,
      );
    if (config.payments.runSandbox) {
      say(
        'start',
        `  Sandbox payment gateway ${config.payments.gatewayUrl} (signed webhooks to ${api}/api/v1/webhooks/gateway)`,
      );
    }
    say('start', '  Webhooks: subscribe a receiver (README "Webhooks you receive"), e.g.');
    say(
      'start',
      `    curl -s ${api}/api/v1/webhook-endpoints -H 'content-type: application/json' -d '{"url":"http://127.0.0.1:4000/troupe","events":["lead.completed","booking.confirmed"]}'`,
    );
    say('start', 'Press Ctrl-C to stop.');
  } catch (err) {
    say('start', `Could not start: ${(err as Error).message}`);
    await stopAll(1);
  }
}

void main();
