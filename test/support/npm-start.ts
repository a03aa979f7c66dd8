// `npm start` as a user runs it, against the test run's Temporal server and MySQL, on free ports.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { eventually, testEnv } from './harness';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '../..');

export function run(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => output.push(line));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

/** `length` consecutive free ports (METRICS_PORT, +1, +2…). */
export async function freeRun(length: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + length > 65535) continue;
    const free = await Promise.all(
      Array.from({ length }, (_, i) =>
        listen(base + i).then(
          (server) => {
            server.close();
            return true;
          },
          () => false,
        ),
      ),
    );
    if (free.every(Boolean)) return base;
  }
}

export function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

export const children: ChildProcess[] = [];
/** Stops (SIGTERM, waiting for each) every process `run` and `npmStart` started; for `afterAll`. */
export async function stopChildren(): Promise<void> {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

/** `npm start` against the test run's Temporal server and MySQL, on free ports. */
export async function npmStart(env: Record<string, string> = {}) {
  const started = run('tools/local/start.ts', {
    ...testEnv({ LOG_LEVEL: 'info' }),
    LOG_FORMAT: 'json',
    WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'troupe-start-')),
    PORT: String(await freePort()),
    SANDBOX_GATEWAY_PORT: String(await freePort()),
    METRICS_PORT: String(await freeRun(3)),
    WORKER_HEALTH_PORT: String(await freeRun(3)),
    ...env,
  });
  children.push(started.child);
  await eventually(async () => expect(started.output.join('\n')).toMatch(/Troupe is ready/), 90_000, 500);
  return started;
}
