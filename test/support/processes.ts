import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '../..');

export interface Part {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/**
 * Runs a Troupe entry point (worker/main.ts, api/main.ts) as its own OS process, as production
 * does, and resolves once a log line matches `readyWhen`.
 */
export async function spawnPart(
  entry: string,
  env: Record<string, string>,
  readyWhen: RegExp,
  /** Node flags before the entry (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow). */
  nodeArgs: string[] = [],
): Promise<Part> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // Every worker process serves Prometheus metrics; give each its own port.
      METRICS_PORT: String(await freePort()),
      WORKER_HEALTH_PORT: String(await freePort()),
      ...env,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    // A part that never gets ready is killed, not left running behind the caller's back.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} not ready in 30 s:\n${output.join('\n')}`));
    }, 30_000);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (readyWhen.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${output.join('\n')}`));
    });
  });
  return { child, output, exited };
}

export const spawnWorker = (env: Record<string, string>, nodeArgs: string[] = []) =>
  spawnPart('worker/main.ts', env, /Worker polling/, nodeArgs);
