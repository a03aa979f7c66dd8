import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { eventually, testEnv } from '../support/harness';
import { freePort } from '../support/ports';

const ROOT = path.resolve(__dirname, '../..');

function run(entry: string, env: Record<string, string>) {
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

/** Three consecutive free ports (METRICS_PORT, +1, +2). */
async function freeRun(length: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + length > 65535) continue;
    const free = await Promise.all(
      Array.from({ length }, (_, i) =>
        listen(base + i).then(
          (s) => (s.close(), true),
          () => false,
        ),
      ),
    );
    if (free.every(Boolean)) return base;
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

describe('workers scale out on one host', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  });

  it('WORKERS=3 npm start runs three workers, each on its own metrics port, printed at start', async () => {
    const metrics = await freeRun(3);
    const started = run('scripts/start.ts', {
      ...testEnv({ LOG_LEVEL: 'info' }),
      WORKERS: '3',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'troupe-start-')),
      METRICS_PORT: String(metrics),
      PORT: String(await freePort()),
      SANDBOX_GATEWAY_PORT: String(await freePort()),
    });
    children.push(started.child);
    await eventually(async () => expect(started.output.join('\n')).toMatch(/Troupe is ready/), 90_000, 500);

    const text = started.output.join('\n');
    for (const [i, name] of ['worker-1', 'worker-2', 'worker-3'].entries()) {
      expect(text).toContain(`http://localhost:${metrics + i}/metrics (${name})`);
      const response = await fetch(`http://127.0.0.1:${metrics + i}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/temporal_/);
    }
  }, 120_000);

  it('a second worker whose METRICS_PORT is taken exits with a message naming METRICS_PORT', async () => {
    const port = await freePort();
    const taken = await listen(port);
    try {
      const worker = run('worker/main.ts', { ...testEnv({ LOG_LEVEL: 'info' }), METRICS_PORT: String(port) });
      children.push(worker.child);
      expect(await worker.exited).not.toBe(0);
      expect(worker.output.join('\n')).toMatch(new RegExp(`METRICS_PORT ${port} is already in use`));
    } finally {
      taken.close();
    }
  }, 60_000);
});
